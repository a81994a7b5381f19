import type { Types } from 'mongoose';
import { normaliseEmail, normaliseUsername } from '../../users/identifiers';

/**
 * Names the account a password check is for: AccountAttempts counts per key, and the argon2 work is
 * queued per key (HashScheduler). Make one with accountKeyOfUser or accountKeyOfLogin; the prefixes
 * keep a username that looks like a user id from sharing that account's key.
 */
export type AccountKey = string & { readonly __brand: 'AccountKey' };

/** The key of an existing account. */
export function accountKeyOfUser(userId: Types.ObjectId | string): AccountKey {
  return `user:${String(userId)}` as AccountKey;
}

/**
 * The key of a login as typed, for an account that does not exist (or not yet, at registration).
 * Normalised as UsersRepository.findByLogin looks it up, so `Ada` and `ada` count together.
 */
export function accountKeyOfLogin(login: string): AccountKey {
  const normalised = login.includes('@') ? normaliseEmail(login) : normaliseUsername(login);
  return `login:${normalised}` as AccountKey;
}

/** Whether the key names an existing account (accountKeyOfUser), not a login as typed. */
export function namesAnAccount(key: AccountKey): boolean {
  return key.startsWith('user:');
}

/** The account's id in a key made by accountKeyOfUser; undefined for a login's key. */
export function userIdOf(key: AccountKey): string | undefined {
  return namesAnAccount(key) ? key.slice('user:'.length) : undefined;
}
