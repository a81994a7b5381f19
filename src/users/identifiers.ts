/** Normalisation of the identifiers people type: emails and usernames. */

export const USERNAME_PATTERN = /^[a-z0-9_-]{3,40}$/;
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 40;

/**
 * An email's one canonical form, which the code compares and the database stores under a plain
 * (binary) unique index: trimmed, NFC, lower case (NFC again, in case lower-casing decomposed
 * anything). Nothing else is folded: `straße` and `strasse` are two addresses, as mail servers see
 * them, everywhere in the service. What could pass for another address is refused instead (see
 * emailCharacterProblem).
 */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase().normalize('NFC');
}

/** Invisible or formatting characters: zero-width (U+200B–U+200D, U+2060), U+FEFF, soft hyphen, bidi controls… */
const HIDDEN_CHARACTER = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Why an email address is refused whatever its syntax, if it is: a character that does not show
 * (zero-width, soft hyphen, bidi controls, control characters), or a compatibility form (full-width
 * letters, ligatures like `ﬁ`, `ſ`: wherever NFKC differs from NFC). These would make one address
 * look like another, which normaliseEmail deliberately does not fold.
 */
export function emailCharacterProblem(email: string): string | undefined {
  const text = email.trim();
  if (!text.isWellFormed()) return 'is not well-formed Unicode text';
  if (HIDDEN_CHARACTER.test(text)) return 'must not contain invisible or control characters';
  if (text.normalize('NFKC') !== text.normalize('NFC')) {
    return 'must not contain full-width or other compatibility characters (like ﬁ)';
  }
  return undefined;
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
