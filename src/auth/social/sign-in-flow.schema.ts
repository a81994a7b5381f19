import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * One provider sign-in under way, from the redirect to the provider until its callback. Its ID is
 * the OAuth `state`; it is used once, and only by the browser holding the matching flow cookie.
 */
@Schema({ collection: 'sign_in_flows', versionKey: false, strict: 'throw' })
export class SignInFlow {
  /** The `state` sent to the provider. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  provider!: string;

  /** SHA-256 of the secret in the flow cookie of the browser that started the sign-in. */
  @Prop({ type: String, required: true })
  browserBinding!: string;

  @Prop({ type: String })
  codeVerifier?: string;

  @Prop({ type: String })
  nonce?: string;

  @Prop({ type: String, required: true })
  returnTo!: string;

  /** Set when a signed-in person started the flow to link the provider to their account. */
  @Prop({ type: Types.ObjectId })
  linkUserId?: Types.ObjectId;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const SignInFlowSchema = SchemaFactory.createForClass(SignInFlow);
SignInFlowSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
