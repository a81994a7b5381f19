import { stepOfCode, totpCode, totpCodeOf } from './totp';

/** RFC 6238, Appendix B: the SHA-1 secret is the ASCII string "12345678901234567890". */
const RFC_SECRET = new TextEncoder().encode('12345678901234567890');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
/** The same secret in base32, as the service stores and the apps read it. */
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  it.each(RFC_VECTORS)('gives the SHA-1 test vector at T=%i: %s', (seconds, expected) => {
    expect(totpCode(RFC_SECRET, seconds * 1000, 8)).toBe(expected);
  });

  it.each(RFC_VECTORS)('makes 6-digit codes, the last six digits (T=%i)', (seconds, expected) => {
    expect(totpCode(RFC_SECRET, seconds * 1000)).toBe(expected.slice(-6));
    expect(totpCodeOf(RFC_SECRET_BASE32, seconds * 1000)).toBe(expected.slice(-6));
  });

  it('accepts the code of the step before, this one and after, and says which step it is', () => {
    const now = 1111111111 * 1000;
    const step = Math.floor(now / 30_000);
    for (const offset of [-1, 0, 1]) {
      const code = totpCodeOf(RFC_SECRET_BASE32, now + offset * 30_000);
      expect(stepOfCode(RFC_SECRET_BASE32, code, now)).toBe(step + offset);
    }
  });

  it('refuses codes two steps away, of another length, or not digits', () => {
    const now = 1234567890 * 1000;
    for (const offset of [-2, 2]) {
      const code = totpCodeOf(RFC_SECRET_BASE32, now + offset * 30_000);
      expect(stepOfCode(RFC_SECRET_BASE32, code, now)).toBeUndefined();
    }
    expect(stepOfCode(RFC_SECRET_BASE32, '89005924', now)).toBeUndefined();
    expect(stepOfCode(RFC_SECRET_BASE32, '0059 4', now)).toBeUndefined();
    expect(stepOfCode(RFC_SECRET_BASE32, 'abcdef', now)).toBeUndefined();
  });
});
