import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import mongoose, { Types } from 'mongoose';
import type { ProfileData } from '../../../users/profile-data';

/** What a challenge was issued for: a sign-in (or re-authentication), adding a passkey, a sign-up. */
export const CHALLENGE_PURPOSES = ['sign-in', 'add', 'sign-up'] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/** The account a passkey sign-up will create, as its options were asked for. */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class PendingSignUp {
  @Prop({ type: String, required: true })
  email!: string;

  @Prop({ type: String })
  username?: string;

  @Prop({ type: mongoose.Schema.Types.Mixed })
  data?: ProfileData;
}

export const PendingSignUpSchema = SchemaFactory.createForClass(PendingSignUp);

/**
 * A WebAuthn challenge given out with a ceremony's options and not used yet. Only its SHA-256 is
 * kept, as the id: it is used once (deleted as it is used) and lives CHALLENGE_LIFETIME_MS.
 */
@Schema({ collection: 'passkey_challenges', versionKey: false, strict: 'throw' })
export class PasskeyChallenge {
  /** SHA-256 of the challenge (base64url, as the options carry it), hex. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, enum: CHALLENGE_PURPOSES, required: true })
  purpose!: ChallengePurpose;

  /** For `add`: the account that asked, and must finish it. */
  @Prop({ type: Types.ObjectId })
  userId?: Types.ObjectId;

  /** For `sign-up`: the user handle the new passkey was made for. */
  @Prop({ type: String })
  webauthnUserId?: string;

  /** For `sign-up`: the account to create. */
  @Prop({ type: PendingSignUpSchema })
  signUp?: PendingSignUp;

  /** The end of its life; MongoDB's TTL monitor removes it later, and no use is accepted after. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const PasskeyChallengeSchema = SchemaFactory.createForClass(PasskeyChallenge);
PasskeyChallengeSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
