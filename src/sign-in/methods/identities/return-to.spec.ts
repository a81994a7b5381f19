import { resolveReturnTo } from './return-to';

describe('resolveReturnTo', () => {
  const publicUrl = 'https://accounts.example.com';
  const allowed = ['https://app.example.com'];
  const check = (requested: unknown) => resolveReturnTo(requested, publicUrl, allowed);

  it.each([
    ['/settings', 'https://accounts.example.com/settings'],
    [
      '/settings?tab=connections#google',
      'https://accounts.example.com/settings?tab=connections#google',
    ],
    ['https://accounts.example.com/settings', 'https://accounts.example.com/settings'],
    ['https://app.example.com/welcome', 'https://app.example.com/welcome'],
  ])('honours %p as the absolute URL %p', (requested, expected) => {
    expect(check(requested)).toBe(expected);
  });

  it.each([
    'https://evil.example.net/',
    '//evil.example.net/path',
    '/\\evil.example.net',
    '\\\\evil.example.net',
    '/\t/evil.example.net',
    '/..//evil.example/x',
    '/.//evil.example/x',
    '/%2e%2e//evil.example/x',
    '/%2E%2E//evil.example/x',
    '/a/..//evil.example/x',
    '/a/%2e%2e//evil.example/x',
    'javascript:alert(1)',
    'https://app.example.com.evil.net/',
    'https://user:pass@app.example.com/',
    'http://app.example.com/', // another scheme is another origin
    'settings',
    '',
    42,
    ['/settings'],
    `/${'a'.repeat(3000)}`,
  ])('refuses %p', (requested) => {
    expect(check(requested)).toBeUndefined();
  });

  it('keeps paths under a PUBLIC_URL that has a path prefix, and nothing outside it', () => {
    const prefixed = (requested: string) =>
      resolveReturnTo(requested, 'https://example.com/accounts', []);
    expect(prefixed('/settings')).toBe('https://example.com/accounts/settings');
    expect(prefixed('/../admin')).toBeUndefined();
    expect(prefixed('https://example.com/elsewhere')).toBeUndefined();
    expect(prefixed('https://example.com/accounts/settings')).toBe(
      'https://example.com/accounts/settings',
    );
  });

  it('never resolves to a URL whose host is not ours or allowed', () => {
    const attempts = ['/..//evil.example/x', '/.//evil.example', '/%2e%2e//evil.example/x'];
    for (const attempt of attempts) {
      const resolved = check(attempt) ?? 'https://accounts.example.com/';
      expect(new URL(resolved).host).toBe('accounts.example.com');
    }
  });
});
