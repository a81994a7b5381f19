import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

export const TOKEN_PURPOSES = [
  /** Confirms the account's email address. */
  'verify-email',
  /** Confirms a new address for an email change (sent to that address). */
  'change-email',
  /** Cancels an email change (sent to the old address). */
  'cancel-email-change',
  /** Sets a new (or a first) password. */
  'reset-password',
  /**
   * The same, from a link handed to an operator (the CLI's create-admin) rather than mailed: using
   * it proves nothing about the account's address.
   */
  'set-password',
] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/** The links the reset-password page takes. */
export const PASSWORD_LINKS: TokenPurpose[] = ['reset-password', 'set-password'];

/**
 * A link sent by email. The link holds a random 256-bit token; only its SHA-256 is stored, as the
 * record's `_id`. Single-use (consuming deletes it), expiring (a TTL index removes it later), and
 * one per account and purpose: issuing a newer one voids the older.
 */
@Schema({ collection: 'one_time_tokens', versionKey: false, strict: 'throw' })
export class OneTimeToken {
  /** SHA-256 of the token, base64url. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, enum: TOKEN_PURPOSES, required: true })
  purpose!: TokenPurpose;

  @Prop({ type: Types.ObjectId, required: true })
  userId!: Types.ObjectId;

  /** The address the link was sent to (or is about): the token is void once that changes. */
  @Prop({ type: String, required: true })
  email!: string;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const OneTimeTokenSchema = SchemaFactory.createForClass(OneTimeToken);
OneTimeTokenSchema.index({ userId: 1, purpose: 1 });
OneTimeTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
