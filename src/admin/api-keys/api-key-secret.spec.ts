import { createHash } from 'node:crypto';
import { hashSecret, newKeyMaterial, parseKey, secretMatches } from './api-key-secret';

describe('API key material', () => {
  it('makes keys of the form ak_<16 hex>_<43 base64url>, each different', () => {
    const keys = Array.from({ length: 50 }, () => newKeyMaterial());
    for (const { id, key } of keys) {
      expect(key).toMatch(/^ak_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      expect(key.startsWith(`ak_${id}_`)).toBe(true);
    }
    expect(new Set(keys.map(({ key }) => key)).size).toBe(50);
    expect(new Set(keys.map(({ id }) => id)).size).toBe(50);
  });

  it('keeps only the SHA-256 of the secret, which the key matches and nothing else does', () => {
    const { id, key, secretHash } = newKeyMaterial();
    const parsed = parseKey(key)!;
    expect(parsed.id).toBe(id);
    expect(secretHash).toBe(createHash('sha256').update(parsed.secret).digest('base64url'));
    expect(secretHash).not.toContain(parsed.secret);
    expect(secretMatches(parsed.secret, secretHash)).toBe(true);
    const other = parseKey(newKeyMaterial().key)!;
    expect(secretMatches(other.secret, secretHash)).toBe(false);
    expect(secretMatches(parsed.secret, hashSecret('x'))).toBe(false);
    expect(secretMatches(parsed.secret, '')).toBe(false);
  });

  it('reads a secret containing _ and - whole, and refuses anything else', () => {
    const secret = `_-${'a'.repeat(39)}-_`;
    expect(parseKey(`ak_0123456789abcdef_${secret}`)).toEqual({
      id: '0123456789abcdef',
      secret,
    });
    for (const bad of [
      '',
      'ak_',
      `ak_0123456789ABCDEF_${secret}`,
      `ak_0123456789abcde_${secret}`,
      `ak_0123456789abcdef_${secret}x`,
      `xk_0123456789abcdef_${secret}`,
      ` ak_0123456789abcdef_${secret}`,
      `ak_0123456789abcdef_${secret.slice(1)}=`,
    ]) {
      expect(parseKey(bad)).toBeNull();
    }
  });
});
