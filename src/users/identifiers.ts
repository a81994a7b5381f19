/** Normalisation of the identifiers people type: emails and usernames. */

export const USERNAME_PATTERN = /^[a-z0-9_-]{3,40}$/;
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 40;

/** Emails are compared case-insensitively: trimmed, Unicode-normalised and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** Usernames are case-insensitive: stored and looked up in lower case. */
export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * A valid username derived from free text (an email's local part, a display name, a provider login):
 * accents dropped, anything outside a–z 0–9 _ - turned into `_`, padded to the minimum length and
 * cut so that a numeric suffix still fits.
 */
export function usernameBase(source: string, reserveForSuffix = 6): string {
  const base = source
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, USERNAME_MAX - reserveForSuffix)
    .replace(/[_-]+$/, '');
  if (base.length === 0) return 'user';
  return base.length < USERNAME_MIN ? base.padEnd(USERNAME_MIN, '0') : base;
}

/** The local part of an email, the natural starting point for a username. */
export function usernameBaseFromEmail(email: string): string {
  return usernameBase(email.slice(0, email.lastIndexOf('@')));
}

/**
 * Candidates in the order they are tried: ada, ada1, ada2 … then random suffixes, so a
 * popular name does not take one database round trip per existing account.
 */
export function* usernameCandidates(base: string, sequential = 5): Generator<string> {
  yield base;
  for (let n = 1; n <= sequential; n++) yield `${base}${n}`;
  for (;;) yield `${base}${Math.floor(1000 + Math.random() * 9000)}`;
}
