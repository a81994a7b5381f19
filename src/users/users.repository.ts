import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, {
  isValidObjectId,
  mongo,
  Model,
  PipelineStage,
  QueryFilter,
  Types,
  UpdateQuery,
  UpdateWithAggregationPipeline,
} from 'mongoose';
import { AppError } from '../platform/http/app-error';
import { driverCollection } from '../platform/database/driver-collection';
import { Migrations } from '../platform/database/migrations';
import { currentTransaction, inTransaction } from '../platform/database/transactions';
import { UpdateOneWrite } from '../platform/database/write-batches';
import { duplicateKeyField } from './duplicate-key';
import { normaliseEmail, normaliseUsername, usernameCandidates } from './identifiers';
import type { ProfileData, ProfileDataChanges } from './profile-data';
import { MailSentAt, MAX_PASSKEYS, Passkey, Role, SignInChecks, User } from './schemas/user.schema';
import { canonicaliseStoredEmails, dropCollatedEmailIndexes } from './canonical-emails.migration';
import { migrateUsers } from './users.migration';
import { fillSearchKeys } from './search-keys.migration';
import { SEARCHED_FIELDS, searchFields, searchKeysFilter, searchKeysOf } from './search-keys';
import {
  applyUsersValidator,
  DOCUMENT_VALIDATION_FAILURE,
  warnOfUnfitUsers,
} from './users.validator';

export interface NewUser {
  email?: string;
  /** A chosen username; when absent one is generated from `usernameBase`. */
  username?: string;
  usernameBase: string;
  name?: string;
  passwordHash?: string;
  /** Profile field values, already validated and normalised. */
  data?: ProfileData;
  /** A first passkey (a sign-up with a passkey), with the user handle it was made for. */
  passkey?: { passkey: Passkey; webauthnUserId: string };
}

/** A provider identity as it is linked: who the provider says the person is. */
export interface NewIdentity {
  provider: string;
  subject: string;
  /** Only an email the provider says is verified. */
  email?: string;
  /** The account's email was unverified when this was linked (see Identity). */
  linkedBeforeEmailVerified?: boolean;
}

export interface NewProviderUser extends NewIdentity {
  name?: string;
  usernameBase: string;
}

export type LinkResult =
  | 'linked'
  | 'already-linked'
  /** The identity belongs to another account. */
  | 'linked-elsewhere'
  /** This account has another identity of the same provider. */
  | 'other-identity-linked'
  | 'no-account';

export interface ProfileChanges {
  email?: string;
  username?: string;
  /** null clears the name. */
  name?: string | null;
  /** Validated profile field values; only these keys change, and null removes one. */
  data?: ProfileDataChanges;
}

/** What an admin may change besides the profile. A new email replaces a pending change. */
export interface AdminChanges extends ProfileChanges {
  emailVerified?: boolean;
  role?: Role;
  disabled?: boolean;
}

/** A kind of link an account is mailed at most once a minute (see MailSlots). */
export type MailSlot = keyof MailSentAt;

/** Whether a slot was claimed; if not, when it last was (the wait runs from then). */
export type MailSlotClaim = { claimed: true } | { claimed: false; lastSentAt?: Date };

export type AddPasskeyResult =
  | 'added'
  /** The account holds MAX_PASSKEYS already. */
  | 'limit'
  /** The credential is registered already (to this account or another). */
  | 'taken'
  | 'no-account';

/** A page of users, newest first, and how many match in all. */
export interface UserPage {
  users: User[];
  total: number;
}

const MAX_USERNAME_ATTEMPTS = 25;

/** The only code that touches the users collection. Uniqueness is left to the unique indexes. */
@Injectable()
export class UsersRepository implements OnModuleInit {
  constructor(
    @InjectModel(User.name) private readonly users: Model<User>,
    private readonly migrations: Migrations,
  ) {}

  /**
   * Earlier records are brought to the current shape, then MongoDB is given the schema's
   * invariants (the validator), and the unique indexes exist, before serving. The migration looks
   * through every record, so it runs once per database (see Migrations): afterwards the validator
   * refuses records of any other shape. A version that changes the shape names a new migration.
   */
  async onModuleInit(): Promise<void> {
    await this.migrations.once('users: identities and required fields', async () => {
      await migrateUsers(this.users.collection);
      await warnOfUnfitUsers(this.users.collection);
    });
    await this.migrations.once('users: emails in canonical form', () =>
      canonicaliseStoredEmails(this.users.collection),
    );
    await applyUsersValidator(this.users.db.db!, this.users.collection.collectionName);
    await this.users.init();
    // Only now that the plain unique index of emails exists (init built it).
    await dropCollatedEmailIndexes(this.users.collection);
    // Only now that the validator accepts the field.
    await this.migrations.once('users: search keys', async () => {
      await fillSearchKeys(this.users.collection);
    });
  }

  /** A new account; other accounts' pending changes to its email are void. Call in a transaction. */
  async create(data: NewUser): Promise<User> {
    const fields = {
      email: data.email,
      name: data.name,
      passwordHash: data.passwordHash,
      data: data.data,
      ...(data.passkey && {
        passkeys: [data.passkey.passkey],
        webauthnUserId: data.passkey.webauthnUserId,
      }),
    };
    const user =
      data.username === undefined
        ? await this.insertWithGeneratedUsername(fields, data.usernameBase)
        : await this.insert({ ...fields, username: normaliseUsername(data.username) });
    await this.voidPendingChangesTo(user);
    return user;
  }

  async findById(id: string | Types.ObjectId): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    return this.users.findById(id).lean<User>().exec();
  }

  /**
   * A $lookup for another collection's aggregation: the user whose id is in `localField`, as a
   * one-element array in `as` (empty when there is none), as findById would return it. For reading
   * a record and its account in one round trip.
   */
  lookupById(localField: string, as: string): PipelineStage.Lookup {
    return {
      $lookup: { from: this.users.collection.collectionName, localField, foreignField: '_id', as },
    };
  }

  /** Finds an account by what a person types to sign in: their email or username, in any case. */
  async findByLogin(login: string): Promise<User | null> {
    if (!login.includes('@')) {
      return this.users
        .findOne({ username: normaliseUsername(login) })
        .lean<User>()
        .exec();
    }
    return this.users
      .findOne({ email: normaliseEmail(login) })
      .lean<User>()
      .exec();
  }

  /**
   * The account `login` (an email or username, as findByLogin) or `id` names, read after `update`
   * (an update pipeline over its `signInChecks`: AccountAttempts) in the same atomic operation;
   * null when there is none. 'unrecordable' when the validator refuses the update (a record edited
   * by hand that breaks it accepts no update until it is fixed). Not a change of the account:
   * `updatedAt` stays. Sent by the driver itself (in the current transaction, as mongoose would):
   * there is nothing to cast, and mongoose's query would copy and walk the long pipeline.
   */
  async checkingSignIn(
    account: { login: string } | { id: Types.ObjectId },
    update: Record<string, unknown>[],
  ): Promise<User | null | 'unrecordable'> {
    const filter: mongo.Filter<User> =
      'id' in account
        ? { _id: account.id }
        : account.login.includes('@')
          ? { email: normaliseEmail(account.login) }
          : { username: normaliseUsername(account.login) };
    try {
      return await driverCollection(this.users).findOneAndUpdate(filter, update, {
        returnDocument: 'after',
        session: currentTransaction(),
      });
    } catch (error) {
      if ((error as { code?: unknown }).code === DOCUMENT_VALIDATION_FAILURE) return 'unrecordable';
      throw error;
    }
  }

  /** The ids of every account, `size` at a time (for start-up migrations). */
  async *idBatches(size: number): AsyncGenerator<Types.ObjectId[]> {
    let batch: Types.ObjectId[] = [];
    const cursor = this.users.collection.find({}, { projection: { _id: 1 }, batchSize: size });
    for await (const { _id } of cursor) {
      batch.push(_id);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** Gives the account `checks` kept elsewhere until now, unless it has counts of its own. */
  async adoptSignInChecks(id: Types.ObjectId, checks: SignInChecks): Promise<void> {
    await this.users.collection.updateOne(
      { _id: id, signInChecks: { $exists: false } },
      { $set: { signInChecks: checks } },
    );
  }

  /** An update of the account's `signInChecks` (a plain update or a pipeline), as a batch write. */
  updatingSignInChecks(
    id: Types.ObjectId,
    update: Record<string, unknown> | Record<string, unknown>[],
  ): UpdateOneWrite {
    return { target: this.users, updateOne: { filter: { _id: id }, update } };
  }

  /** Sends updatingSignInChecks' write on its own; a record the validator refuses stays as it is. */
  async updateSignInChecks(
    id: Types.ObjectId,
    update: Record<string, unknown> | Record<string, unknown>[],
  ): Promise<void> {
    try {
      await this.users
        .updateOne({ _id: id }, update, { updatePipeline: true, timestamps: false })
        .exec();
    } catch (error) {
      if ((error as { code?: unknown }).code !== DOCUMENT_VALIDATION_FAILURE) throw error;
    }
  }

  async findByIdentity(provider: string, subject: string): Promise<User | null> {
    return this.users
      .findOne({ identities: mongoose.trusted({ $elemMatch: { provider, subject } }) })
      .lean<User>()
      .exec();
  }

  /** Records that an identity was just used to sign in. */
  async touchIdentity(provider: string, subject: string): Promise<void> {
    await this.users
      .updateOne(
        { identities: mongoose.trusted({ $elemMatch: { provider, subject } }) },
        { $set: { 'identities.$.lastUsedAt': new Date() } },
      )
      .exec();
  }

  /**
   * An account created by a provider sign-in; throws IDENTITY_TAKEN if the identity exists already.
   * Other accounts' pending changes to its (vouched-for) email are void. Call in a transaction.
   */
  async createFromProvider(data: NewProviderUser): Promise<User> {
    const now = new Date();
    const identity = { ...identityFields(data, now), lastUsedAt: now };
    const user = await this.insertWithGeneratedUsername(
      {
        email: data.email,
        // The provider vouched for it.
        emailVerified: data.email !== undefined,
        // Names typed here are 1–100 characters; a provider's may be longer.
        name: data.name === undefined ? undefined : Array.from(data.name).slice(0, 100).join(''),
        identities: [identity],
      },
      data.usernameBase,
    );
    await this.voidPendingChangesTo(user);
    return user;
  }

  /**
   * Links an identity in one conditional update: only while the account has none of that provider,
   * and the unique index refuses an identity that belongs to another account.
   */
  async linkIdentity(id: Types.ObjectId, identity: NewIdentity): Promise<LinkResult> {
    try {
      const result = await this.users
        .updateOne(
          { _id: id, 'identities.provider': mongoose.trusted({ $ne: identity.provider }) },
          { $push: { identities: identityFields(identity, new Date()) } },
        )
        .exec();
      if (result.modifiedCount === 1) return 'linked';
    } catch (error) {
      if (duplicateKeyField(error)?.startsWith('identities.')) return 'linked-elsewhere';
      throw error;
    }
    // Nothing changed: say why, from what the account holds now.
    const user = await this.findById(id);
    if (!user) return 'no-account';
    const linked = user.identities.find(({ provider }) => provider === identity.provider);
    return linked?.subject === identity.subject ? 'already-linked' : 'other-identity-linked';
  }

  /**
   * Unlinks the account's identity of `provider` in one conditional update whose filter is the
   * caller's rule for what must remain. Returns whether it was removed.
   */
  async unlinkIdentity(
    id: Types.ObjectId,
    provider: string,
    mustRemain: QueryFilter<User>,
  ): Promise<boolean> {
    const result = await this.users
      .updateOne(
        { $and: [{ _id: id, 'identities.provider': provider }, mustRemain] },
        { $pull: { identities: { provider } } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Removes the password under the caller's rule for what must remain; returns whether it was removed. */
  async removePassword(id: Types.ObjectId, mustRemain: QueryFilter<User>): Promise<boolean> {
    const result = await this.users
      .updateOne(
        {
          $and: [
            { _id: id, passwordHash: mongoose.trusted({ $type: 'string' as const }) },
            mustRemain,
          ],
        },
        { $unset: { passwordHash: 1 } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /**
   * The account's passkey user handle: the one it has, or `candidate`, set in one conditional
   * update when it has none (so requests at once agree on one). Undefined when the account is gone.
   */
  async claimWebauthnUserId(id: Types.ObjectId, candidate: string): Promise<string | undefined> {
    const user = await this.users
      .findOneAndUpdate(
        { _id: id, webauthnUserId: mongoose.trusted({ $exists: false }) },
        { $set: { webauthnUserId: candidate } },
        { returnDocument: 'after', projection: { webauthnUserId: 1 } },
      )
      .lean<Pick<User, 'webauthnUserId'>>()
      .exec();
    if (user) return user.webauthnUserId;
    const current = await this.users
      .findById(id, { webauthnUserId: 1 })
      .lean<Pick<User, 'webauthnUserId'>>()
      .exec();
    return current?.webauthnUserId;
  }

  /** The account a passkey is registered to. */
  async findByPasskey(credentialId: string): Promise<User | null> {
    return this.users.findOne({ 'passkeys.credentialId': credentialId }).lean<User>().exec();
  }

  /**
   * Adds a passkey in one conditional update: only while the account holds fewer than
   * MAX_PASSKEYS; the unique index refuses a credential registered already.
   */
  async addPasskey(id: Types.ObjectId, passkey: Passkey): Promise<AddPasskeyResult> {
    try {
      const result = await this.users
        .updateOne(
          { _id: id, [`passkeys.${MAX_PASSKEYS - 1}`]: mongoose.trusted({ $exists: false }) },
          { $push: { passkeys: passkey } },
        )
        .exec();
      if (result.modifiedCount === 1) return 'added';
    } catch (error) {
      if (duplicateKeyField(error)?.startsWith('passkeys.')) return 'taken';
      throw error;
    }
    return (await this.findById(id)) ? 'limit' : 'no-account';
  }

  /**
   * Records a passkey's use in one conditional update: only when its signature counter moves
   * forward (or both are 0: an authenticator that does not count), so a cloned authenticator's
   * older counter is refused even when two uses race. Returns whether it was recorded.
   */
  async recordPasskeyUse(
    id: Types.ObjectId,
    credentialId: string,
    use: { counter: number; backedUp: boolean },
  ): Promise<boolean> {
    const counter = use.counter > 0 ? mongoose.trusted({ $lt: use.counter }) : 0;
    const result = await this.users
      .updateOne(
        { _id: id, passkeys: mongoose.trusted({ $elemMatch: { credentialId, counter } }) },
        {
          $set: {
            'passkeys.$.counter': use.counter,
            'passkeys.$.backedUp': use.backedUp,
            'passkeys.$.lastUsedAt': new Date(),
          },
        },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Renames one of the account's passkeys; returns it as it is now, or null when it has none such. */
  async renamePasskey(
    id: Types.ObjectId,
    passkeyId: string,
    name: string,
  ): Promise<Passkey | null> {
    const user = await this.users
      .findOneAndUpdate(
        { _id: id, 'passkeys.id': passkeyId },
        // An array filter: not every server that speaks MongoDB's protocol takes `$` in findAndModify.
        { $set: { 'passkeys.$[renamed].name': name } },
        {
          arrayFilters: [{ 'renamed.id': passkeyId }],
          returnDocument: 'after',
          projection: { passkeys: 1 },
        },
      )
      .lean<Pick<User, 'passkeys'>>()
      .exec();
    return user?.passkeys?.find((passkey) => passkey.id === passkeyId) ?? null;
  }

  /**
   * Removes one of the account's passkeys in one conditional update whose filter is the caller's
   * rule for what must remain. Returns the passkey removed, or null when nothing was.
   */
  async removePasskey(
    id: Types.ObjectId,
    passkeyId: string,
    mustRemain: QueryFilter<User>,
  ): Promise<Passkey | null> {
    const before = await this.users
      .findOneAndUpdate(
        { $and: [{ _id: id, 'passkeys.id': passkeyId }, mustRemain] },
        { $pull: { passkeys: { id: passkeyId } } },
        { returnDocument: 'before', projection: { passkeys: 1 } },
      )
      .lean<Pick<User, 'passkeys'>>()
      .exec();
    return before?.passkeys?.find((passkey) => passkey.id === passkeyId) ?? null;
  }

  /** One update: only the given fields change, each profile value by its own path (`data.<key>`). */
  async updateProfile(id: Types.ObjectId, changes: ProfileChanges): Promise<User | null> {
    return this.applyChanges(id, profileUpdate(changes));
  }

  /**
   * An admin's change, in one update like updateProfile. A new email is set at once (verified
   * only when `emailVerified` says so) and drops a pending email change; given (or marked
   * verified), the address voids other accounts' pending changes to it. Call in a transaction.
   */
  async updateByAdmin(id: Types.ObjectId, changes: AdminChanges): Promise<User | null> {
    const { set, unset } = profileUpdate(changes);
    if (changes.email !== undefined) {
      set.emailVerified = changes.emailVerified ?? false;
      unset.pendingEmail = 1;
    } else if (changes.emailVerified !== undefined) {
      set.emailVerified = changes.emailVerified;
    }
    if (changes.role !== undefined) set.role = changes.role;
    if (changes.disabled !== undefined) set.disabled = changes.disabled;
    const user = await this.applyChanges(id, { set, unset });
    if (user && (changes.email !== undefined || changes.emailVerified === true)) {
      await this.voidPendingChangesTo(user);
    }
    return user;
  }

  /**
   * Records a sign-in (the start of a session) on an account that is not disabled, as a write to
   * send with the sign-in's others (WriteBatches): it matches nothing when the account is disabled
   * (or gone), and then records nothing.
   */
  recordingSignIn(id: Types.ObjectId): UpdateOneWrite {
    return {
      target: this.users,
      updateOne: {
        filter: { _id: id, disabled: { $ne: true } },
        update: { $set: { lastSignInAt: new Date() } },
      },
    };
  }

  /**
   * Whether the owner may still sign in when the server refused recordingSignIn's write with
   * `code`: a record edited by hand that breaks the validator accepts no update until it is fixed,
   * and its owner still signs in, unrecorded, unless the account is disabled (or gone). Any other
   * refusal is an error: undefined.
   */
  async signsInUnrecorded(
    id: Types.ObjectId,
    code: number | undefined,
  ): Promise<boolean | undefined> {
    if (code !== DOCUMENT_VALIDATION_FAILURE) return undefined;
    const user = await this.findById(id);
    return user !== null && user.disabled !== true;
  }

  /** Accounts that can use the admin API: role admin, not disabled. */
  async countEnabledAdmins(): Promise<number> {
    return this.users
      .countDocuments({ role: 'admin', disabled: mongoose.trusted({ $ne: true }) })
      .exec();
  }

  /**
   * Accounts whose email, username, name or a word of the name starts with `query` (ignoring case
   * and accents: see search-keys.ts), or with an identity whose subject is exactly `query`; all
   * accounts without a query. Newest first (by _id, which MongoDB's default ObjectIds order by
   * creation). Served by indexes: a search reads the accounts it finds, not the others.
   */
  async search(query: string | undefined, skip: number, limit: number): Promise<UserPage> {
    if (!query) {
      const [users, total] = await Promise.all([
        this.users.find({}).sort({ _id: -1 }).skip(skip).limit(limit).lean<User[]>().exec(),
        // Everyone: the collection's own count, which reads no record.
        this.users.estimatedDocumentCount().exec(),
      ]);
      return { users, total };
    }
    const byKeys = searchKeysFilter(query);
    const keysFilter: QueryFilter<User> | undefined =
      byKeys &&
      Object.fromEntries(Object.entries(byKeys).map(([k, v]) => [k, mongoose.trusted(v)]));
    // Asked beside the prefix search: a query is rarely a subject, and then it is asked again.
    const [found, holders] = await Promise.all([
      keysFilter ? this.page(keysFilter, skip, limit) : { users: [], total: 0 },
      this.users
        .find({ 'identities.subject': query }, { _id: 1 })
        .lean<Pick<User, '_id'>[]>()
        .exec(),
    ]);
    if (holders.length === 0) return found;
    const bySubject = { _id: mongoose.trusted({ $in: holders.map(({ _id }) => _id) }) };
    return this.page(keysFilter ? { $or: [keysFilter, bySubject] } : bySubject, skip, limit);
  }

  private async page(filter: QueryFilter<User>, skip: number, limit: number): Promise<UserPage> {
    const [users, total] = await Promise.all([
      this.users.find(filter).sort({ _id: -1 }).skip(skip).limit(limit).lean<User[]>().exec(),
      this.users.countDocuments(filter).exec(),
    ]);
    return { users, total };
  }

  /**
   * Sets the password's hash, only while the account's password is still the one the change was
   * checked against (`replacing`: its hash, or undefined for none): of two changes made in
   * parallel, the second finds the first's and changes nothing. Returns the account, or null.
   */
  async setPasswordHash(
    id: Types.ObjectId,
    passwordHash: string,
    replacing: string | undefined,
  ): Promise<User | null> {
    const current = replacing ?? mongoose.trusted({ $exists: false });
    return this.users
      .findOneAndUpdate(
        { _id: id, passwordHash: current },
        { $set: { passwordHash } },
        { returnDocument: 'after' },
      )
      .lean<User>()
      .exec();
  }

  /** Upgrades a hash to current parameters, unless the password changed in the meantime. */
  async upgradePasswordHash(id: Types.ObjectId, oldHash: string, newHash: string): Promise<void> {
    await this.users
      .updateOne({ _id: id, passwordHash: oldHash }, { $set: { passwordHash: newHash } })
      .exec();
  }

  /**
   * Marks the email verified, if it is still the account's email; returns the account then. Other
   * accounts' pending changes to it are void. Call in a transaction.
   */
  async markEmailVerified(id: Types.ObjectId, email: string): Promise<User | null> {
    const user = await this.users
      .findOneAndUpdate(
        { _id: id, email: normaliseEmail(email) },
        { $set: { emailVerified: true } },
        { returnDocument: 'after' },
      )
      .lean<User>()
      .exec();
    if (user) await this.voidPendingChangesTo(user);
    return user;
  }

  /** Records (or, with undefined, drops) an email change waiting for its confirmation. */
  async setPendingEmail(id: Types.ObjectId, email: string | undefined): Promise<User | null> {
    const update =
      email === undefined
        ? { $unset: { pendingEmail: 1 } }
        : { $set: { pendingEmail: normaliseEmail(email) } };
    return this.users
      .findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' })
      .lean<User>()
      .exec();
  }

  /**
   * Makes the confirmed pending email the account's (verified) email, if that change is still
   * pending (another account taking the address voids it). Throws EMAIL_TAKEN when another account
   * holds the address (the unique index decides). Other accounts' pending changes to it are then
   * void. Call in a transaction.
   */
  async applyPendingEmail(id: Types.ObjectId, email: string): Promise<User | null> {
    const address = normaliseEmail(email);
    const { update, options } = updateOf({
      set: { email: address, emailVerified: true },
      unset: { pendingEmail: 1 },
    });
    let user: User | null;
    try {
      user = await this.users
        .findOneAndUpdate({ _id: id, pendingEmail: address }, update, {
          ...options,
          returnDocument: 'after',
        })
        .lean<User>()
        .exec();
    } catch (error) {
      throw this.conflictOrSelf(error);
    }
    if (user) await this.voidPendingChangesTo(user);
    return user;
  }

  /**
   * Takes an address away from the account that holds it without having verified it, because
   * someone else just proved control of it. Returns that account, if there was one.
   */
  async releaseUnverifiedEmail(email: string): Promise<User | null> {
    const { update, options } = updateOf({
      set: { emailVerified: false },
      unset: { email: 1, pendingEmail: 1 },
    });
    return this.users
      .findOneAndUpdate(
        { email: normaliseEmail(email), emailVerified: mongoose.trusted({ $ne: true }) },
        update,
        options,
      )
      .lean<User>()
      .exec();
  }

  /**
   * The address was just proven by someone who may not have linked the account's identities:
   * unlinks those linked while it was unverified. Returns their providers' keys.
   */
  async unlinkIdentitiesLinkedBeforeVerification(id: Types.ObjectId): Promise<string[]> {
    const before = await this.users
      .findOneAndUpdate(
        { _id: id },
        { $pull: { identities: { linkedBeforeEmailVerified: true } } },
        { returnDocument: 'before', projection: { identities: 1 } },
      )
      .lean<Pick<User, 'identities'>>()
      .exec();
    return (before?.identities ?? [])
      .filter(({ linkedBeforeEmailVerified }) => linkedBeforeEmailVerified)
      .map(({ provider }) => provider);
  }

  /** The account's owner verified the address in their own session: their links stay theirs. */
  async confirmIdentitiesLinkedBeforeVerification(id: Types.ObjectId): Promise<void> {
    await this.users
      .updateOne(
        { _id: id },
        { $unset: { 'identities.$[linked].linkedBeforeEmailVerified': 1 } },
        { arrayFilters: [{ 'linked.linkedBeforeEmailVerified': true }] },
      )
      .exec();
  }

  /**
   * A password reset, while `email` is still the account's: the new password; when the link went
   * to that address (`provesAddress`), the email verified and a pending email change cancelled,
   * and other accounts' pending changes to it void. Returns the account as it is now. Call in a
   * transaction.
   */
  async resetPassword(
    id: Types.ObjectId,
    email: string,
    passwordHash: string,
    provesAddress: boolean,
  ): Promise<User | null> {
    const update = provesAddress
      ? { $set: { passwordHash, emailVerified: true }, $unset: { pendingEmail: 1 } }
      : { $set: { passwordHash } };
    const user = await this.users
      .findOneAndUpdate({ _id: id, email: normaliseEmail(email) }, update, {
        returnDocument: 'after',
      })
      .lean<User>()
      .exec();
    if (user && provesAddress) await this.voidPendingChangesTo(user);
    return user;
  }

  /**
   * Claims the account's slot for a kind of link in one conditional update: only when none was
   * mailed after `since` (so requests at once cannot all pass a check before any writes), and then
   * `now` is recorded. Does not count as a change to the account (`updatedAt` stays).
   */
  async claimMailSlot(
    id: Types.ObjectId,
    slot: MailSlot,
    since: Date,
    now: Date,
  ): Promise<MailSlotClaim> {
    const field = `mailSentAt.${slot}`;
    const result = await this.users
      .updateOne(
        {
          _id: id,
          $or: [
            { [field]: mongoose.trusted({ $exists: false }) },
            { [field]: mongoose.trusted({ $lte: since }) },
          ],
        },
        { $set: { [field]: now } },
        { timestamps: false },
      )
      .exec();
    if (result.matchedCount === 1) return { claimed: true };
    const user = await this.users
      .findById(id, { mailSentAt: 1 })
      .lean<Pick<User, 'mailSentAt'>>()
      .exec();
    return { claimed: false, lastSentAt: user?.mailSentAt?.[slot] };
  }

  /** Records that a kind of link was mailed without asking (it starts the minute all the same). */
  async recordMailSent(id: Types.ObjectId, slot: MailSlot, now: Date): Promise<void> {
    await this.users
      .updateOne({ _id: id }, { $set: { [`mailSentAt.${slot}`]: now } }, { timestamps: false })
      .exec();
  }

  async delete(id: Types.ObjectId): Promise<boolean> {
    const result = await this.users.deleteOne({ _id: id }).exec();
    return result.deletedCount === 1;
  }

  /**
   * Generated usernames: candidates are looked up a batch at a time and the first free one is
   * inserted. Outside a transaction a lost race moves on to the next batch; inside one (where a
   * failed write ends the transaction) the clash is reported, which takes two identical names
   * registering in the same instant.
   */
  private async insertWithGeneratedUsername(fields: Partial<User>, base: string): Promise<User> {
    const candidates = usernameCandidates(base);
    for (let attempt = 1; ; attempt++) {
      const batch = Array.from({ length: 8 }, () => candidates.next().value as string);
      const taken = await this.users
        .find({ username: mongoose.trusted({ $in: batch }) }, { username: 1 })
        .lean<Pick<User, 'username'>[]>()
        .exec();
      const free = batch.find((name) => !taken.some(({ username }) => username === name));
      if (free === undefined) continue;
      try {
        return await this.insert({ ...fields, username: free });
      } catch (error) {
        const clash = error instanceof AppError && error.code === 'USERNAME_TAKEN';
        if (!clash || inTransaction() || attempt >= MAX_USERNAME_ATTEMPTS) throw error;
      }
    }
  }

  private async insert(doc: Partial<User> & { username: string }): Promise<User> {
    const email = doc.email === undefined ? undefined : normaliseEmail(doc.email);
    try {
      const created = await this.users.create({
        ...doc,
        email,
        ...searchFields({ email, username: doc.username, name: doc.name }),
      });
      return created.toObject<User>();
    } catch (error) {
      throw this.conflictOrSelf(error);
    }
  }

  private async applyChanges(id: Types.ObjectId, parts: UpdateParts): Promise<User | null> {
    const { update, options } = updateOf(parts);
    try {
      return await this.users
        .findOneAndUpdate({ _id: id }, update, { ...options, returnDocument: 'after' })
        .lean<User>()
        .exec();
    } catch (error) {
      throw this.conflictOrSelf(error);
    }
  }

  /**
   * `holder` now has its email (registered, verified or given it): every other account's pending
   * change to that address is void, so its link cannot take the address later (the confirmation
   * applies only while its change is still pending). Meant for the holder's own transaction.
   */
  private async voidPendingChangesTo(holder: User): Promise<void> {
    if (holder.email === undefined) return;
    await this.users
      .updateMany(
        { pendingEmail: normaliseEmail(holder.email), _id: mongoose.trusted({ $ne: holder._id }) },
        { $unset: { pendingEmail: 1 } },
      )
      .exec();
  }

  /** Turns a unique-index violation into the 409 that names the field. */
  private conflictOrSelf(error: unknown): unknown {
    const field = duplicateKeyField(error);
    if (field === 'email') {
      return new AppError('EMAIL_TAKEN', 'That email is already used by another account.', 'email');
    }
    if (field === 'username') {
      return new AppError('USERNAME_TAKEN', 'That username is already taken.', 'username');
    }
    if (field?.startsWith('identities.')) {
      return new AppError('IDENTITY_TAKEN', 'This sign-in is already linked to an account.');
    }
    if (field?.startsWith('passkeys.')) {
      return new AppError(
        'PASSKEY_ALREADY_REGISTERED',
        'This passkey is already registered to an account.',
        'response',
      );
    }
    return error;
  }
}

interface UpdateParts {
  set: Record<string, unknown>;
  unset: Record<string, 1>;
}

/** The $set and $unset of a profile change: each profile value by its own path (`data.<key>`). */
function profileUpdate(changes: ProfileChanges): UpdateParts {
  const set: Record<string, unknown> = {};
  const unset: Record<string, 1> = {};
  if (changes.email !== undefined) set.email = normaliseEmail(changes.email);
  if (changes.username !== undefined) set.username = normaliseUsername(changes.username);
  if (changes.name === null) unset.name = 1;
  else if (changes.name !== undefined) set.name = changes.name;
  for (const [key, value] of Object.entries(changes.data ?? {})) {
    // Keys come validated against PROFILE_FIELDS; a path operator here would be a bug.
    if (!/^\w+$/.test(key)) throw new Error(`Invalid profile field key ${JSON.stringify(key)}`);
    if (value === null) unset[`data.${key}`] = 1;
    else set[`data.${key}`] = value;
  }
  return { set, unset };
}

/**
 * The update that sets and unsets these fields, and its options. When it changes a field the
 * search reads, that field's search keys are replaced in the same write: an update pipeline,
 * which keeps the other fields' keys as they are (parallel changes to two fields both land), with
 * every value a literal.
 */
function updateOf({ set, unset }: UpdateParts): {
  update: UpdateQuery<User> | UpdateWithAggregationPipeline;
  options: { updatePipeline?: true };
} {
  const changed = SEARCHED_FIELDS.filter((field) => field in set || field in unset);
  if (changed.length === 0) return { update: { $set: set, $unset: unset }, options: {} };
  const keys = changed.flatMap((field) => searchKeysOf(field, set[field] as string | undefined));
  const literals = Object.entries(set).map(([path, value]): [string, { $literal: unknown }] => [
    path,
    { $literal: value },
  ]);
  const pipeline: UpdateWithAggregationPipeline = [
    {
      $set: {
        ...Object.fromEntries(literals),
        searchKeys: {
          $concatArrays: [
            {
              $filter: {
                input: { $ifNull: ['$searchKeys', []] },
                cond: { $not: [{ $in: ['$$this.of', changed] }] },
              },
            },
            { $literal: keys },
          ],
        },
      },
    },
  ];
  if (Object.keys(unset).length > 0) pipeline.push({ $unset: Object.keys(unset) });
  return { update: pipeline, options: { updatePipeline: true } };
}

function identityFields(identity: NewIdentity, linkedAt: Date) {
  return {
    provider: identity.provider,
    subject: identity.subject,
    linkedAt,
    ...(identity.email !== undefined && { email: normaliseEmail(identity.email) }),
    ...(identity.linkedBeforeEmailVerified && { linkedBeforeEmailVerified: true }),
  };
}
