import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import mongoose, { HydratedDocument, Types } from 'mongoose';
import type { ProfileData } from '../profile-data';
import type { SearchKey } from '../search-keys';

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * The unique index of emails: plain (binary) comparison of the canonical form normaliseEmail
 * gives, which every write stores and every query uses, so the code and the database agree on
 * which addresses are the same. Accounts without an email (some provider sign-ins) are left out.
 */
export const EMAIL_INDEX = {
  name: 'email_unique',
  unique: true,
  partialFilterExpression: { email: { $type: 'string' } },
} as const;

/**
 * The account's password checks (AccountAttempts' counts, kept on the account so that finding it by
 * its login and admitting a check are one update): failures in a row, the wait they started, this
 * minute's checks, and when they are forgotten. Absent before the first check; never shown.
 */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class SignInChecks {
  @Prop({ type: Number, required: true })
  failures!: number;

  @Prop({ type: Date, default: null })
  retryAt!: Date | null;

  @Prop({ type: String, default: null })
  attempt!: string | null;

  @Prop({ type: Number, default: 0 })
  checks!: number;

  @Prop({ type: Date, default: null })
  checksUntil!: Date | null;

  @Prop({ type: Date, default: null })
  expiresAt!: Date | null;
}

export const SignInChecksSchema = SchemaFactory.createForClass(SignInChecks);

/** A provider account linked to a user: one way to sign in. */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class Identity {
  /** The provider's key, as in /auth/{key}. */
  @Prop({ type: String, required: true })
  provider!: string;

  /** The provider's ID for the person (OIDC `sub`); compared exactly. */
  @Prop({ type: String, required: true })
  subject!: string;

  @Prop({ type: Date, required: true })
  linkedAt!: Date;

  @Prop({ type: Date })
  lastUsedAt?: Date;

  /** The address the provider vouched for when it was linked, if it vouched for one. */
  @Prop({ type: String })
  email?: string;

  /**
   * Linked while the account's email was unverified: whoever later proves the address without
   * having linked it (a recovery link, a verification link opened outside the account's sessions)
   * may not be the person who linked it, so it is unlinked then.
   */
  @Prop({ type: Boolean })
  linkedBeforeEmailVerified?: boolean;
}

export const IdentitySchema = SchemaFactory.createForClass(Identity);

/**
 * When the account was last mailed each kind of link that a request can ask for again (MailSlots):
 * each kind goes out at most once a minute, claimed in one conditional update.
 */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class MailSentAt {
  /** A recovery link (POST /auth/password/forgot). */
  @Prop({ type: Date })
  recovery?: Date;

  /** A link that confirms an address: the verification link, or an email change's. */
  @Prop({ type: Date })
  confirmation?: Date;

  /** An email change's messages, sent when PATCH /me asks for a new address. */
  @Prop({ type: Date })
  emailChange?: Date;
}

export const MailSentAtSchema = SchemaFactory.createForClass(MailSentAt);

/**
 * Two-step sign-in (TOTP, RFC 6238, and recovery codes): a second factor, never a way in by
 * itself. Pending from POST /me/two-step until a first code confirms it.
 */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class TwoStep {
  /** The TOTP secret, AES-256-GCM under TWO_STEP_SECRET (TwoStepSecrets); never shown again. */
  @Prop({ type: String, required: true })
  secret!: string;

  /** False while pending (set up, not yet confirmed by a code). */
  @Prop({ type: Boolean, required: true })
  enabled!: boolean;

  /**
   * The time step of the last code accepted: a code is accepted only for a later step, in the
   * update that records it, so a code is used once even by parallel requests.
   */
  @Prop({ type: Number })
  lastStep?: number;

  /** SHA-256 (hex) of each unused recovery code; each is taken out by one conditional $pull. */
  @Prop({ type: [String], default: () => [] })
  recoveryCodes!: string[];

  @Prop({ type: Date })
  enabledAt?: Date;
}

export const TwoStepSchema = SchemaFactory.createForClass(TwoStep);

/** How many passkeys one account may hold. */
export const MAX_PASSKEYS = 20;

/**
 * A passkey (a WebAuthn credential) registered to the account: one way to sign in. Only its public
 * key is kept; `credentialId` is unique across accounts (the `passkey_credential_unique` index).
 */
@Schema({ _id: false, versionKey: false, strict: 'throw' })
export class Passkey {
  /** Its public id, for /me/passkeys/{id}: random, URL-safe, unrelated to the credential. */
  @Prop({ type: String, required: true })
  id!: string;

  /** The credential's id, base64url, as the authenticator gives it. */
  @Prop({ type: String, required: true })
  credentialId!: string;

  /** Its COSE public key, base64url. */
  @Prop({ type: String, required: true })
  publicKey!: string;

  /** The signature counter last seen (0 for authenticators that do not count). */
  @Prop({ type: Number, required: true })
  counter!: number;

  /** How the browser may reach it (usb, nfc, ble, internal, hybrid…), as it said. */
  @Prop({ type: [String], default: undefined })
  transports?: string[];

  /** Whether the credential is synced (backed up) by its provider. */
  @Prop({ type: Boolean, required: true })
  backedUp!: boolean;

  /** 'singleDevice' or 'multiDevice'. */
  @Prop({ type: String, required: true })
  deviceType!: string;

  /** What its owner calls it. */
  @Prop({ type: String, required: true })
  name!: string;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: Date })
  lastUsedAt?: Date;
}

export const PasskeySchema = SchemaFactory.createForClass(Passkey);

@Schema({ collection: 'users', timestamps: true, strict: 'throw', versionKey: false })
export class User {
  _id!: Types.ObjectId;

  /** Stored in its canonical form (normaliseEmail), which its unique index compares as it is. */
  @Prop({ type: String })
  email?: string;

  /**
   * Whether the owner proved control of `email` (a link sent to it, or a provider that vouched for
   * it). An unverified email holds nothing: whoever proves control of the address takes it.
   */
  @Prop({ type: Boolean, default: false })
  emailVerified!: boolean;

  /** An email change waiting for its confirmation link; not unique, and it blocks nobody. */
  @Prop({ type: String })
  pendingEmail?: string;

  /** Stored lower case: 3–40 of a–z 0–9 _ -. */
  @Prop({ type: String, required: true })
  username!: string;

  @Prop({ type: String })
  name?: string;

  /** argon2id hash; never leaves the service (see toUserView). */
  @Prop({ type: String })
  passwordHash?: string;

  /** Linked provider accounts, at most one per provider. */
  @Prop({ type: [IdentitySchema], default: () => [] })
  identities!: Identity[];

  /** The account's passkeys, at most MAX_PASSKEYS. Absent on accounts that never had one. */
  @Prop({ type: [PasskeySchema], default: undefined })
  passkeys?: Passkey[];

  /**
   * The opaque user handle its passkeys carry (WebAuthn's user.id): random, base64url, never the
   * account's id or email. Made when first needed.
   */
  @Prop({ type: String })
  webauthnUserId?: string;

  /** `admin` opens the admin API (GET /admin/users …); the last enabled admin cannot lose it. */
  @Prop({ type: String, enum: ROLES, default: 'user' })
  role!: Role;

  /**
   * Set by an admin: the account cannot sign in (password, providers, the apps through this
   * service's provider) and its sessions are refused. Absent counts as false.
   */
  @Prop({ type: Boolean, default: false })
  disabled!: boolean;

  /** Two-step sign-in, once set up (pending or enabled); absent when off. */
  @Prop({ type: TwoStepSchema })
  twoStep?: TwoStep;

  /** When a session last started for the account (sign-in or registration); absent before the first. */
  @Prop({ type: Date })
  lastSignInAt?: Date;

  /** The password checks' counts (AccountAttempts); absent before the first check. */
  @Prop({ type: SignInChecksSchema })
  signInChecks?: SignInChecks;

  /** When each kind of link was last mailed, for the once-a-minute limits; absent before the first. */
  @Prop({ type: MailSentAtSchema })
  mailSentAt?: MailSentAt;

  /**
   * The values of the operator's profile fields (PROFILE_FIELDS), by key, normalised by type. Its
   * keys depend on the configuration, so this one path is free-form; the service validates it.
   */
  @Prop({ type: mongoose.Schema.Types.Mixed })
  data?: ProfileData;

  /**
   * The admin search's keys: the email, the username, the name and the name from each of its
   * words, folded (searchFields). Kept in step with those fields by every write that changes them.
   * Plain objects here (not subdocuments, which mongoose would track for nothing); the collection's
   * validator checks their shape.
   */
  @Prop({ type: [mongoose.Schema.Types.Mixed], default: undefined })
  searchKeys?: SearchKey[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type UserDocument = HydratedDocument<User>;

export const UserSchema = SchemaFactory.createForClass(User);
UserSchema.index({ email: 1 }, EMAIL_INDEX);
UserSchema.index({ username: 1 }, { unique: true });
// Taking an address voids the pending changes to it: found without reading every account.
UserSchema.index({ pendingEmail: 1 }, { name: 'pending_email', sparse: true });
// One account per provider identity, whatever providers are configured.
UserSchema.index(
  { 'identities.provider': 1, 'identities.subject': 1 },
  {
    name: 'identity_unique',
    unique: true,
    partialFilterExpression: { 'identities.subject': { $type: 'string' } },
  },
);
// One account per passkey; a passkey sign-in finds its account by it.
UserSchema.index(
  { 'passkeys.credentialId': 1 },
  {
    name: 'passkey_credential_unique',
    unique: true,
    partialFilterExpression: { 'passkeys.credentialId': { $type: 'string' } },
  },
);
UserSchema.index(
  { webauthnUserId: 1 },
  {
    name: 'webauthn_user_unique',
    unique: true,
    partialFilterExpression: { webauthnUserId: { $type: 'string' } },
  },
);
// The last-admin rule counts the enabled admins in every change that takes one away: an index of
// the admins alone lets it read a handful of entries instead of every account.
UserSchema.index({ role: 1 }, { name: 'admins', partialFilterExpression: { role: 'admin' } });
// The admin search: a range of this index for the prefix, whatever the number of accounts.
UserSchema.index({ 'searchKeys.key': 1 }, { name: 'search_keys' });
// The admin search also finds an account by a provider subject alone (identity_unique leads with
// the provider, so it cannot serve that).
UserSchema.index({ 'identities.subject': 1 }, { name: 'identity_subject' });
