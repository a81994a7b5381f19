import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

export const FLOW_PURPOSES = ['sign-in', 'link', 'reauthenticate'] as const;
export type FlowPurpose = (typeof FLOW_PURPOSES)[number];

/**
 * One provider round trip under way, from the redirect to the provider until its callback. Its ID
 * is the OAuth `state`; it is used once, and only by the browser holding the matching flow cookie.
 */
@Schema({ collection: 'sign_in_flows', versionKey: false, strict: 'throw' })
export class SignInFlow {
  /** The `state` sent to the provider. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  provider!: string;

  /** SHA-256 of the secret in the flow cookie of the browser that started it. */
  @Prop({ type: String, required: true })
  browserBinding!: string;

  /** Signing in (or up), linking to the signed-in account, or confirming who the person is. */
  @Prop({ type: String, enum: FLOW_PURPOSES, required: true })
  purpose!: FlowPurpose;

  /** For link and reauthenticate: the account and session that started it, and must finish it. */
  @Prop({ type: Types.ObjectId })
  userId?: Types.ObjectId;

  @Prop({ type: String })
  sessionId?: string;

  @Prop({ type: String })
  codeVerifier?: string;

  @Prop({ type: String, required: true })
  nonce!: string;

  /** The checked absolute URL to land on afterwards. */
  @Prop({ type: String, required: true })
  returnTo!: string;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const SignInFlowSchema = SchemaFactory.createForClass(SignInFlow);
SignInFlowSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
