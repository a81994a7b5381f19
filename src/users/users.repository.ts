import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { isValidObjectId, Model, QueryFilter, Types } from 'mongoose';
import { AppError } from '../common/app-error';
import { duplicateKeyField } from './duplicate-key';
import { normaliseEmail, normaliseUsername, usernameCandidates } from './identifiers';
import { EMAIL_COLLATION, User } from './schemas/user.schema';
import { migrateUsers } from './users.migration';

export interface NewUser {
  email?: string;
  /** A chosen username; when absent one is generated from `usernameBase`. */
  username?: string;
  usernameBase: string;
  name?: string;
  passwordHash?: string;
}

/** A provider identity as it is linked: who the provider says the person is. */
export interface NewIdentity {
  provider: string;
  subject: string;
  /** Only an email the provider says is verified. */
  email?: string;
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
}

const MAX_USERNAME_ATTEMPTS = 25;

/** The only code that touches the users collection. Uniqueness is left to the unique indexes. */
@Injectable()
export class UsersRepository implements OnModuleInit {
  constructor(@InjectModel(User.name) private readonly users: Model<User>) {}

  /** Earlier records are brought to the current shape, and the unique indexes exist, before serving. */
  async onModuleInit(): Promise<void> {
    await migrateUsers(this.users.collection);
    await this.users.init();
  }

  async create(data: NewUser): Promise<User> {
    const fields = { email: data.email, name: data.name, passwordHash: data.passwordHash };
    return data.username === undefined
      ? this.insertWithGeneratedUsername(fields, data.usernameBase)
      : this.insert({ ...fields, username: normaliseUsername(data.username) });
  }

  async findById(id: string | Types.ObjectId): Promise<User | null> {
    if (!isValidObjectId(id)) return null;
    return this.users.findById(id).lean<User>().exec();
  }

  /** Finds an account by what a person types to sign in: their email (any case) or username. */
  async findByLogin(login: string): Promise<User | null> {
    if (!login.includes('@')) {
      return this.users
        .findOne({ username: normaliseUsername(login) })
        .lean<User>()
        .exec();
    }
    // The collation matches the email index, so a record edited by hand in another case is found.
    return this.users
      .findOne({ email: normaliseEmail(login) })
      .collation(EMAIL_COLLATION)
      .lean<User>()
      .exec();
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

  /** An account created by a provider sign-in; throws IDENTITY_TAKEN if the identity exists already. */
  async createFromProvider(data: NewProviderUser): Promise<User> {
    const now = new Date();
    const identity = { ...identityFields(data, now), lastUsedAt: now };
    return this.insertWithGeneratedUsername(
      { email: data.email, name: data.name, identities: [identity] },
      data.usernameBase,
    );
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

  async updateProfile(id: Types.ObjectId, changes: ProfileChanges): Promise<User | null> {
    const set: Partial<User> = {};
    const unset: Partial<Record<keyof User, 1>> = {};
    if (changes.email !== undefined) set.email = normaliseEmail(changes.email);
    if (changes.username !== undefined) set.username = normaliseUsername(changes.username);
    if (changes.name === null) unset.name = 1;
    else if (changes.name !== undefined) set.name = changes.name;
    try {
      return await this.users
        .findOneAndUpdate({ _id: id }, { $set: set, $unset: unset }, { returnDocument: 'after' })
        .lean<User>()
        .exec();
    } catch (error) {
      throw this.conflictOrSelf(error);
    }
  }

  async setPasswordHash(id: Types.ObjectId, passwordHash: string): Promise<User | null> {
    return this.users
      .findOneAndUpdate({ _id: id }, { $set: { passwordHash } }, { returnDocument: 'after' })
      .lean<User>()
      .exec();
  }

  /** Upgrades a hash to current parameters, unless the password changed in the meantime. */
  async upgradePasswordHash(id: Types.ObjectId, oldHash: string, newHash: string): Promise<void> {
    await this.users
      .updateOne({ _id: id, passwordHash: oldHash }, { $set: { passwordHash: newHash } })
      .exec();
  }

  async delete(id: Types.ObjectId): Promise<boolean> {
    const result = await this.users.deleteOne({ _id: id }).exec();
    return result.deletedCount === 1;
  }

  /** Generated usernames: the unique index decides, and a taken one moves on to the next candidate. */
  private async insertWithGeneratedUsername(fields: Partial<User>, base: string): Promise<User> {
    const candidates = usernameCandidates(base);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insert({ ...fields, username: candidates.next().value as string });
      } catch (error) {
        const taken = error instanceof AppError && error.code === 'USERNAME_TAKEN';
        if (!taken || attempt >= MAX_USERNAME_ATTEMPTS) throw error;
      }
    }
  }

  private async insert(doc: Partial<User> & { username: string }): Promise<User> {
    try {
      const created = await this.users.create({
        ...doc,
        email: doc.email === undefined ? undefined : normaliseEmail(doc.email),
      });
      return created.toObject<User>();
    } catch (error) {
      throw this.conflictOrSelf(error);
    }
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
    return error;
  }
}

function identityFields(identity: NewIdentity, linkedAt: Date) {
  return {
    provider: identity.provider,
    subject: identity.subject,
    linkedAt,
    ...(identity.email !== undefined && { email: normaliseEmail(identity.email) }),
  };
}
