import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MAX_LENGTH = 128;

/** Lower-cased list of the ~49,000 most common passwords, from zxcvbn's dictionary. */
const COMMON_PASSWORDS = new Set(
  dictionary['passwords-common'].map((password) => password.toLowerCase()),
);

/**
 * NIST SP 800-63B-4 rules: a minimum and maximum length counted in Unicode code points,
 * any characters, no composition rules, and no password from a list of common ones.
 * Returns why a password is refused, or undefined when it is acceptable.
 */
export function passwordProblem(password: string, minLength: number): string | undefined {
  const normalised = password.normalize('NFKC');
  const length = [...normalised].length;
  if (length < minLength) {
    return `Password must be at least ${minLength} characters long.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  if (COMMON_PASSWORDS.has(normalised.toLowerCase())) {
    return 'This password is one of the most commonly used passwords, so it is easy to guess. Please choose another.';
  }
  const distinct = new Set(normalised).size;
  if (distinct === 1) {
    return 'Password must not be a single character repeated.';
  }
  return undefined;
}
