import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import mongoose, { Types } from 'mongoose';

/**
 * What can happen to an account. Names say what happened; `actor` says who did it (the person
 * themselves, an admin, an API key, the CLI).
 */
export const EVENT_TYPES = [
  'user.created',
  'sign_in.succeeded',
  'sign_in.failed',
  'identity.linked',
  'identity.unlinked',
  'passkey.added',
  'passkey.removed',
  'password.set',
  'password.changed',
  'password.reset',
  'password.removed',
  'password.reset_requested',
  'email.changed',
  'email.verified',
  'profile.updated',
  'session.revoked',
  'two_step.enabled',
  'two_step.disabled',
  'recovery_code.used',
  'recovery_codes.replaced',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'api_key.created',
  'api_key.revoked',
  'signing_key.rotated',
  'app_access.revoked',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const ACTOR_KINDS = ['user', 'api_key', 'cli', 'anonymous'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who caused an event: a signed-in person (the owner or an admin), an API key, the CLI, or nobody known. */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class Actor {
  @Prop({ type: String, enum: ACTOR_KINDS, required: true })
  kind!: ActorKind;

  /** The user's id, or the API key's id. */
  @Prop({ type: String })
  id?: string;
}
export const ActorSchema = SchemaFactory.createForClass(Actor);

/** A person acting on their own account (or, signed in as an admin, on another). */
export function userActor(userId: Types.ObjectId): Actor {
  return { kind: 'user', id: userId.toHexString() };
}

/**
 * One entry of the `events` collection: an audit record of a security-relevant change or attempt.
 * Written in the same transaction as the change it records; removed by MongoDB's TTL monitor at
 * `expiresAt` (EVENTS_RETENTION_DAYS after it happened).
 */
@Schema({ collection: 'events', versionKey: false, strict: 'throw' })
export class AccountEvent {
  _id!: Types.ObjectId;

  @Prop({ type: String, enum: EVENT_TYPES, required: true })
  type!: EventType;

  /** The account it concerns; absent for attempts on no account (a sign-in with an unknown email). */
  @Prop({ type: Types.ObjectId })
  userId?: Types.ObjectId;

  @Prop({ type: ActorSchema, required: true })
  actor!: Actor;

  @Prop({ type: String })
  ip?: string;

  @Prop({ type: String })
  userAgent?: string;

  @Prop({ type: Date, required: true })
  at!: Date;

  /** Small, non-secret details: the provider, the method, the fields changed, the reason. */
  @Prop({ type: mongoose.Schema.Types.Mixed })
  details?: Record<string, unknown>;

  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const AccountEventSchema = SchemaFactory.createForClass(AccountEvent);
// A user's own history (settings page, GET /admin/events?userId=), newest first.
AccountEventSchema.index({ userId: 1, _id: -1 });
// GET /admin/events?type=, newest first.
AccountEventSchema.index({ type: 1, _id: -1 });
AccountEventSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
