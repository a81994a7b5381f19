import { Secret, TOTP } from 'otpauth';

/** The codes every authenticator app makes by default: HMAC-SHA-1, 6 digits, 30 seconds. */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Codes of the step before and after are accepted too: clocks drift, people type slowly. */
export const TOTP_WINDOW = 1;

/** A new TOTP secret: 160 random bits (RFC 4226's recommendation), base32 as the apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URL an authenticator app reads (from the QR code) to add the account. */
export function otpauthUrl(secret: string, issuer: string, label: string): string {
  return totpOf(Secret.fromBase32(secret), TOTP_DIGITS, { issuer, label }).toString();
}

/**
 * The time step (30-second counter) whose code `code` is, within ±TOTP_WINDOW of `timestamp`;
 * undefined when it is none of them.
 */
export function stepOfCode(
  secret: string,
  code: string,
  timestamp = Date.now(),
): number | undefined {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return undefined;
  const totp = totpOf(Secret.fromBase32(secret), TOTP_DIGITS);
  const delta = totp.validate({ token: code, timestamp, window: TOTP_WINDOW });
  return delta === null ? undefined : totp.counter({ timestamp }) + delta;
}

/** The code of `secret` (raw bytes) at `timestamp`, with `digits` digits (RFC 6238's vectors use 8). */
export function totpCode(secret: Uint8Array, timestamp: number, digits = TOTP_DIGITS): string {
  return totpOf(new Secret({ buffer: toArrayBuffer(secret) }), digits).generate({ timestamp });
}

/** The code of a base32 `secret` at `timestamp`. */
export function totpCodeOf(secret: string, timestamp = Date.now()): string {
  return totpOf(Secret.fromBase32(secret), TOTP_DIGITS).generate({ timestamp });
}

function totpOf(secret: Secret, digits: number, names: { issuer?: string; label?: string } = {}) {
  return new TOTP({
    ...names,
    issuerInLabel: true,
    algorithm: 'SHA1',
    digits,
    period: TOTP_PERIOD_SECONDS,
    secret,
  });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
