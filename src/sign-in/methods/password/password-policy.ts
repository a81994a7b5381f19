import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PASSWORD_MAX_LENGTH = 128;

/** An email's part before the @ counts only from this length: "al" is in too many passwords. */
const MIN_CONTAINED_LENGTH = 3;

/**
 * Whose password it is: a password must not contain their email or username. A User fits, as
 * does a registration (`RegisterDto`); a missing field is not checked.
 */
export interface PasswordOwner {
  email?: string | null;
  username?: string | null;
}

/**
 * 100,000 common and breached passwords of 8+ characters, one a line (see "Passwords" in
 * docs/sessions-and-passwords.md).
 */
export const COMMON_PASSWORDS_FILE = join(__dirname, 'common-passwords.txt');

export const PASSWORD_MESSAGES = {
  common:
    'This password is in a list of common or breached passwords, so it is easy to guess. Please choose another.',
  email: 'Your password must not contain your email address.',
  emailName: 'Your password must not contain the part of your email address before the @.',
  username: 'Your password must not contain your username.',
  repeated: 'Password must not be a single character repeated.',
} as const;

/** How passwords (and what they must not contain) are compared: NFKC, then lower case. */
export function foldPassword(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** A list file as a set of folded passwords; lines are taken whole (spaces are characters too). */
export function loadPasswordList(file: string): Set<string> {
  const list = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const password = line.replace(/\r$/, '');
    if (password !== '') list.add(foldPassword(password));
  }
  return list;
}

let commonPasswords: ReadonlySet<string> | undefined;

/** The list, read on first use and kept; PasswordPolicy asks for it at start-up. */
export function commonPasswordList(): ReadonlySet<string> {
  commonPasswords ??= loadPasswordList(COMMON_PASSWORDS_FILE);
  return commonPasswords;
}

/** One character, repeated: as a pattern of the OpenAPI document, for `not` (Python reads it too). */
export const REPEATED_CHARACTER_PATTERN = '^([\\s\\S])\\1*$';

/**
 * NIST SP 800-63B-4 rules: a minimum and maximum length counted in Unicode code points,
 * any characters, no composition rules, no password from a list of common or breached ones, and
 * nothing that contains the owner's email or username. Returns why a password is refused, or
 * undefined when it is acceptable.
 *
 * The length and the single repeated character are read from the password as sent, as the
 * OpenAPI document states them (minLength, maxLength and a pattern count code points); the lists
 * and the owner's identifiers are compared after NFKC normalisation and lower-casing.
 */
export function passwordProblem(
  password: string,
  minLength: number,
  owner: PasswordOwner = {},
): string | undefined {
  const characters = [...password];
  if (characters.length < minLength) {
    return `Password must be at least ${minLength} characters long.`;
  }
  if (characters.length > PASSWORD_MAX_LENGTH) {
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  const folded = foldPassword(password);
  if (commonPasswordList().has(folded)) return PASSWORD_MESSAGES.common;
  if (new Set(characters).size === 1) return PASSWORD_MESSAGES.repeated;
  return ownerProblem(folded, owner);
}

/** Why a (folded) password is too close to its owner's identifiers, if it is. */
function ownerProblem(folded: string, { email, username }: PasswordOwner): string | undefined {
  const contains = (part: string) =>
    [...part].length >= MIN_CONTAINED_LENGTH && folded.includes(part);
  if (email) {
    const address = foldPassword(email.trim());
    if (contains(address)) return PASSWORD_MESSAGES.email;
    const at = address.lastIndexOf('@');
    if (at > 0 && contains(address.slice(0, at))) return PASSWORD_MESSAGES.emailName;
  }
  // Usernames have at least 3 characters; the same floor guards records older than that rule.
  if (username && contains(foldPassword(username.trim()))) return PASSWORD_MESSAGES.username;
  return undefined;
}
