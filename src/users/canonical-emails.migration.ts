import { Logger } from '@nestjs/common';
import type { mongo, Types } from 'mongoose';
import { emailCharacterProblem, normaliseEmail } from './identifiers';
import { DOCUMENT_VALIDATION_FAILURE } from './users.validator';

const logger = new Logger('UsersMigration');

/**
 * Emails that may not be in canonical form: with a character outside printable ASCII, or an ASCII
 * capital. Written as plain ranges (space to @, [ to ~) that every MongoDB wire-protocol server's
 * regex reads alike; the canonical form itself is decided here, by normaliseEmail.
 */
const MAYBE_NOT_CANONICAL = { $regex: '[^ -@\\[-~]' };

interface EmailFields {
  _id: Types.ObjectId;
  email?: unknown;
  pendingEmail?: unknown;
  identities?: unknown;
}

const DUPLICATE_KEY = 11000;

/**
 * Brings every stored address (the account's email, a pending change, the emails providers
 * vouched for) to the canonical form of normaliseEmail, which the code compares and the plain
 * unique index holds. Earlier versions stored NFC + lower case already, so only hand edits (in
 * another case) change. Idempotent; each record changes in one write, and only if it still holds
 * what was read. A record whose canonical email another account holds, or that the validator
 * refuses, is left as it is and named in a warning, as are addresses with characters no longer
 * accepted (zero-width, full-width…): those are not rewritten, since that would make them another
 * address, perhaps someone else's.
 */
export async function canonicaliseStoredEmails(users: mongo.Collection): Promise<void> {
  const candidates = users.find<EmailFields>(
    {
      $or: [
        { email: MAYBE_NOT_CANONICAL },
        { pendingEmail: MAYBE_NOT_CANONICAL },
        { 'identities.email': MAYBE_NOT_CANONICAL },
      ],
    },
    { projection: { email: 1, pendingEmail: 1, identities: 1 } },
  );
  let changed = 0;
  const unchangeable: string[] = [];
  const refusedCharacters: string[] = [];
  for await (const record of candidates) {
    if (typeof record.email === 'string' && emailCharacterProblem(record.email)) {
      refusedCharacters.push(String(record._id));
    }
    const update = canonicalUpdate(record);
    if (update === undefined) continue;
    try {
      const unchanged = {
        _id: record._id,
        ...holds('email', record.email),
        ...holds('pendingEmail', record.pendingEmail),
        ...holds('identities', record.identities),
      };
      const result = await users.updateOne(unchanged, { $set: update });
      changed += result.modifiedCount;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== DUPLICATE_KEY && code !== DOCUMENT_VALIDATION_FAILURE) throw error;
      unchangeable.push(String(record._id));
    }
  }
  if (changed > 0) logger.log(`Brought the emails of ${changed} accounts to canonical form`);
  if (unchangeable.length > 0) {
    logger.warn(
      `The emails of these accounts could not be brought to canonical form (another account holds it, or the record does not fit the validator); fix them by hand: ${unchangeable.join(', ')}`,
    );
  }
  if (refusedCharacters.length > 0) {
    logger.warn(
      `These accounts' emails hold characters no longer accepted (invisible or full-width); they still sign in with it, but it cannot be registered or set again: ${refusedCharacters.join(', ')}`,
    );
  }
}

/** A filter on `field` still holding `value` (absent when undefined). */
function holds(field: string, value: unknown): Record<string, unknown> {
  return { [field]: value === undefined ? { $exists: false } : value };
}

/** The $set that makes a record's addresses canonical; undefined when they are already. */
function canonicalUpdate(record: EmailFields): Record<string, unknown> | undefined {
  const set: Record<string, unknown> = {};
  for (const field of ['email', 'pendingEmail'] as const) {
    const value = record[field];
    if (typeof value === 'string' && normaliseEmail(value) !== value) {
      set[field] = normaliseEmail(value);
    }
  }
  if (Array.isArray(record.identities)) {
    const identities = record.identities.map((identity: unknown) => {
      const { email } = (identity ?? {}) as { email?: unknown };
      return typeof email === 'string' && normaliseEmail(email) !== email
        ? { ...(identity as object), email: normaliseEmail(email) }
        : identity;
    });
    if (identities.some((identity, i) => identity !== (record.identities as unknown[])[i])) {
      set.identities = identities;
    }
  }
  return Object.keys(set).length > 0 ? set : undefined;
}

/**
 * Drops the email index of earlier versions, unique under an ICU collation of strength 2, which
 * folded more than case (`straße` = `strasse`, `ﬁ` = `fi`) and so disagreed with the code. Called
 * once the schema's plain unique index exists (UsersRepository creates it first), so the emails
 * are never without a unique index. Building the plain one cannot fail for records the collated
 * one accepted: two addresses equal byte for byte are equal under any collation, so uniqueness
 * under the collation implies uniqueness under the plain index. Run at every start (it only lists
 * the indexes): an instance of an earlier version starting during a rolling upgrade would build
 * the collated index again.
 */
export async function dropCollatedEmailIndexes(users: mongo.Collection): Promise<void> {
  for (const index of await users.indexes()) {
    const keys = Object.keys(index.key);
    if (index.name && keys.length === 1 && keys[0] === 'email' && index.collation !== undefined) {
      // Another instance starting at the same moment may have dropped it first.
      await users.dropIndex(index.name).catch(() => undefined);
      logger.log(`Dropped the index ${index.name}: the plain unique index of emails replaces it`);
    }
  }
}
