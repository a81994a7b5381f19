import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { SIGN_IN_METHOD_KEYS, type SignInMethodKey } from '../methods/sign-in-methods';

/**
 * A sign-in waiting for its second factor (two-step sign-in): who proved what, and how many wrong
 * codes were given since. The browser holds a random token (SecondStepCookie); only its SHA-256
 * is stored. It ends when a code finishes the sign-in, after MAX_SECOND_STEP_FAILURES wrong
 * codes, or after SECOND_STEP_LIFETIME_MS (MongoDB's TTL monitor; reads check the time too).
 */
@Schema({ collection: 'second_steps', versionKey: false, strict: 'throw' })
export class PendingSecondStep {
  /** SHA-256 of the token, hex. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Types.ObjectId, required: true })
  userId!: Types.ObjectId;

  /** The first factor, as the session will record it. */
  @Prop({ type: String, enum: SIGN_IN_METHOD_KEYS, required: true })
  method!: SignInMethodKey;

  @Prop({ type: String })
  provider?: string;

  @Prop({ type: Number, required: true })
  failures!: number;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const PendingSecondStepSchema = SchemaFactory.createForClass(PendingSecondStep);
PendingSecondStepSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
