import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The password checks of one account (or of one unknown login, counted the same way), shared by
 * every instance: its failures in a row, which a successful check sets back to zero, and its checks
 * this minute.
 */
@Schema({ collection: 'sign_in_failures', versionKey: false, strict: 'throw' })
export class SignInFailure {
  /** SHA-256 of the account key (signInFailureId), so no typed email or username is stored. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** Failed checks since the last success, counting those under way. */
  @Prop({ type: Number, required: true })
  failures!: number;

  /** No password check of the account before then; null: no wait. */
  @Prop({ type: Date, default: null })
  retryAt!: Date | null;

  /** Random id of the last check let through, which tells that check it was the one. */
  @Prop({ type: String, default: null })
  attempt!: string | null;

  /** Checks let through in the minute that ends at `checksUntil` (SIGN_IN_RATE_LIMIT). */
  @Prop({ type: Number, default: 0 })
  checks!: number;

  @Prop({ type: Date, default: null })
  checksUntil!: Date | null;

  /**
   * When MongoDB's TTL monitor may forget the record (long after the last check); null once the
   * account is locked, which only a reset ends.
   */
  @Prop({ type: Date, default: null })
  expiresAt!: Date | null;
}

export const SignInFailureSchema = SchemaFactory.createForClass(SignInFailure);
SignInFailureSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
