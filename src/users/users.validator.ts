import { Logger } from '@nestjs/common';
import type { mongo } from 'mongoose';
import { USERNAME_PATTERN } from './identifiers';
import { MAX_PASSKEYS, ROLES } from './schemas/user.schema';
import { SEARCHED_FIELDS } from './search-keys';

/**
 * A stored email: trimmed and lower case, as normaliseEmail leaves it. Only ASCII capitals are
 * checked: `\p{Lu}` is not understood by every MongoDB wire-protocol server (SecantusDB's regex).
 */
const NORMALISED_EMAIL = '^[^\\sA-Z]([^A-Z]*[^\\sA-Z])?$';

const email = { bsonType: 'string', pattern: NORMALISED_EMAIL, maxLength: 254 };

const identity = {
  bsonType: 'object',
  required: ['provider', 'subject', 'linkedAt'],
  additionalProperties: false,
  properties: {
    provider: { bsonType: 'string', minLength: 1 },
    subject: { bsonType: 'string', minLength: 1 },
    linkedAt: { bsonType: 'date' },
    lastUsedAt: { bsonType: 'date' },
    email,
    linkedBeforeEmailVerified: { bsonType: 'bool' },
  },
};

const base64url = { bsonType: 'string', pattern: '^[A-Za-z0-9_-]+$' };

const passkey = {
  bsonType: 'object',
  required: [
    'id',
    'credentialId',
    'publicKey',
    'counter',
    'backedUp',
    'deviceType',
    'name',
    'createdAt',
  ],
  additionalProperties: false,
  properties: {
    id: base64url,
    credentialId: base64url,
    publicKey: base64url,
    counter: { bsonType: ['int', 'long', 'double'], minimum: 0 },
    transports: { bsonType: 'array', items: { bsonType: 'string' } },
    backedUp: { bsonType: 'bool' },
    deviceType: { enum: ['singleDevice', 'multiDevice'] },
    name: { bsonType: 'string', minLength: 1, maxLength: 100 },
    createdAt: { bsonType: 'date' },
    lastUsedAt: { bsonType: 'date' },
  },
};

const mailSentAt = {
  bsonType: 'object',
  additionalProperties: false,
  properties: {
    recovery: { bsonType: 'date' },
    confirmation: { bsonType: 'date' },
    emailChange: { bsonType: 'date' },
  },
};

const twoStep = {
  bsonType: 'object',
  required: ['secret', 'enabled', 'recoveryCodes'],
  additionalProperties: false,
  properties: {
    secret: { bsonType: 'string', minLength: 1 },
    enabled: { bsonType: 'bool' },
    lastStep: { bsonType: ['int', 'long', 'double'] },
    recoveryCodes: { bsonType: 'array', items: { bsonType: 'string', pattern: '^[0-9a-f]{64}$' } },
    enabledAt: { bsonType: 'date' },
  },
};

/** The admin search's keys (search-keys.ts); not required, so records of earlier versions fit. */
const searchKey = {
  bsonType: 'object',
  required: ['key', 'of'],
  additionalProperties: false,
  properties: {
    key: { bsonType: 'string', minLength: 1 },
    of: { enum: [...SEARCHED_FIELDS] },
  },
};

const dateOrNull = { bsonType: ['date', 'null'] };

const signInChecks = {
  bsonType: 'object',
  required: ['failures'],
  additionalProperties: false,
  properties: {
    failures: { bsonType: ['int', 'long', 'double'], minimum: 0 },
    retryAt: dateOrNull,
    attempt: { bsonType: ['string', 'null'] },
    checks: { bsonType: ['int', 'long', 'double'], minimum: 0 },
    checksUntil: dateOrNull,
    expiresAt: dateOrNull,
  },
};

/** MongoDB's error for a write the collection's validator refuses. */
export const DOCUMENT_VALIDATION_FAILURE = 121;

/**
 * The users collection's `$jsonSchema` validator: the invariants of the User schema, enforced by
 * MongoDB itself, so a hand edit that would break one is refused (code 121). No field outside the
 * schema is accepted (`additionalProperties: false`): the service writes none (its schema is
 * strict), and a misspelt field in a hand edit would otherwise pass silently.
 */
export const USERS_VALIDATOR = {
  $jsonSchema: {
    bsonType: 'object',
    required: ['_id', 'username', 'role', 'identities', 'emailVerified', 'createdAt', 'updatedAt'],
    additionalProperties: false,
    properties: {
      _id: { bsonType: 'objectId' },
      email,
      emailVerified: { bsonType: 'bool' },
      pendingEmail: email,
      username: { bsonType: 'string', pattern: USERNAME_PATTERN.source },
      name: { bsonType: 'string', minLength: 1, maxLength: 100 },
      passwordHash: { bsonType: 'string', pattern: '^\\$argon2' },
      identities: { bsonType: 'array', items: identity },
      passkeys: { bsonType: 'array', maxItems: MAX_PASSKEYS, items: passkey },
      webauthnUserId: base64url,
      role: { enum: [...ROLES] },
      disabled: { bsonType: 'bool' },
      lastSignInAt: { bsonType: 'date' },
      mailSentAt,
      twoStep,
      signInChecks,
      data: { bsonType: 'object' },
      searchKeys: { bsonType: 'array', items: searchKey },
      createdAt: { bsonType: 'date' },
      updatedAt: { bsonType: 'date' },
    },
  },
};

const logger = new Logger('UsersValidator');

/**
 * Puts the validator on the collection: created with it, or given it by collMod when it exists.
 * Idempotent, and several instances may do it at once (both commands set the same options).
 */
export async function applyUsersValidator(db: mongo.Db, name: string): Promise<void> {
  const options = {
    validator: USERS_VALIDATOR,
    validationLevel: 'strict',
    validationAction: 'error',
  } as const;
  const exists = (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
  if (!exists) {
    try {
      await db.createCollection(name, options);
      return;
    } catch (error) {
      // Another instance (or mongoose's autoCreate) created it first: fall through to collMod.
      if ((error as { code?: number }).code !== NAMESPACE_EXISTS) throw error;
    }
  }
  await db.command({ collMod: name, ...options });
}

/**
 * Names, in a warning, records that do not fit the validator even after migrateUsers: under
 * `validationLevel: 'strict'` no update to them is accepted until they are fixed by hand. A scan
 * of the collection when every record fits.
 */
export async function warnOfUnfitUsers(users: mongo.Collection): Promise<void> {
  const invalid = await users
    .find({ $nor: [USERS_VALIDATOR] }, { projection: { _id: 1 } })
    .limit(20)
    .toArray();
  if (invalid.length > 0) {
    logger.warn(
      `${invalid.length}${invalid.length === 20 ? '+' : ''} user records do not fit the validator and cannot be updated until fixed by hand: ${invalid.map(({ _id }) => String(_id)).join(', ')}`,
    );
  }
}

const NAMESPACE_EXISTS = 48;
