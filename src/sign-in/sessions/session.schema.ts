import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { SIGN_IN_METHOD_KEYS, SignInMethodKey } from '../methods/sign-in-methods';
import { SECOND_FACTORS, type SecondFactor } from '../two-step/second-factor';

/** How a session's person last proved who they are: one of the registered sign-in methods. */
export type SessionMethod = SignInMethodKey;

/**
 * A signed-in browser or client. The cookie holds a random token; only its SHA-256 is stored. The
 * token changes (rotation) when the person proves themselves again or changes their password; the
 * session's `_id` does not.
 */
@Schema({ collection: 'sessions', versionKey: false, strict: 'throw' })
export class Session {
  /** Random and stable for the session's whole life (for older sessions: their first token's hash). */
  @Prop({ type: String, required: true })
  _id!: string;

  /**
   * What the account's owner sees as the session's id (GET /me/sessions): random, unrelated to
   * the token, so showing it reveals nothing that finds or resumes the session. Missing only on
   * records of earlier versions until SessionsRepository assigns one.
   */
  @Prop({ type: String })
  publicId?: string;

  /** SHA-256 of the current token, hex. */
  @Prop({ type: String, required: true })
  tokenHash!: string;

  /**
   * SHA-256 of the token before the last rotation, still accepted until `previousValidUntil`, so
   * requests the browser sent before it received the new cookie do not fail.
   */
  @Prop({ type: String })
  previousTokenHash?: string;

  @Prop({ type: Date })
  previousValidUntil?: Date;

  /** The previous token proves only what it proved before the rotation. */
  @Prop({ type: Date })
  previousAuthenticatedAt?: Date;

  @Prop({ type: Types.ObjectId, required: true, index: true })
  userId!: Types.ObjectId;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  /** When the person last proved who they are (password or provider) in this session. */
  @Prop({ type: Date, required: true })
  authenticatedAt!: Date;

  /** How they did: with the password, or through `provider` (unknown for older sessions). */
  @Prop({ type: String, enum: SIGN_IN_METHOD_KEYS })
  method?: SessionMethod;

  @Prop({ type: String })
  provider?: string;

  /** The passkey's public id, for method 'passkey': removing that passkey ends the session. */
  @Prop({ type: String })
  passkey?: string;

  /** Whether that passkey was synced (backed up) when it signed in: `swk` rather than `hwk`. */
  @Prop({ type: Boolean })
  passkeyBackedUp?: boolean;

  /** The second factor of that sign-in (two-step sign-in), when there was one. */
  @Prop({ type: String, enum: SECOND_FACTORS })
  secondFactor?: SecondFactor;

  @Prop({ type: Date, required: true })
  lastSeenAt!: Date;

  /** The earlier of the idle and the absolute expiry; MongoDB's TTL monitor removes the record then. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  @Prop({ type: Date, required: true })
  absoluteExpiresAt!: Date;

  /** The User-Agent header of the sign-in, shortened. */
  @Prop({ type: String })
  userAgent?: string;

  /** The client address of the sign-in, as express's request.ip gives it under TRUST_PROXY. */
  @Prop({ type: String })
  ip?: string;
}

export const SessionSchema = SchemaFactory.createForClass(Session);
SessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
SessionSchema.index({ tokenHash: 1 }, { unique: true });
SessionSchema.index({ previousTokenHash: 1 }, { sparse: true });
// Sparse: an instance of an earlier version may still write sessions without one.
SessionSchema.index({ publicId: 1 }, { unique: true, sparse: true });
