import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A key as its holder sends it: `ak_<id>_<secret>`, 16 hex characters of id, 43 of secret. */
const KEY_FORMAT = /^ak_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface NewKeyMaterial {
  id: string;
  /** The whole key, for its holder only. */
  key: string;
  secretHash: string;
}

/**
 * The secret is 256 random bits, so one fast hash is enough: nobody can guess or brute-force such
 * a value, which is what a slow password hash (argon2) defends against, and a slow hash would tax
 * every request made with a key.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function newKeyMaterial(): NewKeyMaterial {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `ak_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a presented key, or null when it cannot be one of ours. */
export function parseKey(presented: string): { id: string; secret: string } | null {
  const match = KEY_FORMAT.exec(presented);
  return match ? { id: match[1], secret: match[2] } : null;
}

/** Whether `secret` is the one whose hash is stored, in time that does not depend on where they differ. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'base64url');
  const actual = Buffer.from(hashSecret(secret), 'base64url');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
