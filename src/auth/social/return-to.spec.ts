import { absoluteReturnTo, safeReturnTo } from './return-to';

describe('safeReturnTo', () => {
  const publicUrl = 'https://accounts.example.com';
  const allowed = ['https://app.example.com'];
  const check = (requested: unknown) => safeReturnTo(requested, publicUrl, allowed, '/');

  it.each([
    ['/settings', '/settings'],
    ['/settings?tab=connections#google', '/settings?tab=connections#google'],
    ['https://app.example.com/welcome', 'https://app.example.com/welcome'],
  ])('honours %p', (requested, expected) => {
    expect(check(requested)).toBe(expected);
  });

  it.each([
    'https://evil.example.net/',
    '//evil.example.net/path',
    '/\\evil.example.net',
    '\\\\evil.example.net',
    '/\t/evil.example.net',
    'javascript:alert(1)',
    'https://app.example.com.evil.net/',
    'https://user:pass@app.example.com/',
    'http://app.example.com/', // another scheme is another origin
    'settings',
    '',
    42,
    ['/settings'],
    `/${'a'.repeat(3000)}`,
  ])('falls back to the default for %p', (requested) => {
    expect(check(requested)).toBe('/');
  });

  it('keeps paths under a PUBLIC_URL that has a path prefix', () => {
    expect(safeReturnTo('/settings', 'https://example.com/accounts', [], '/')).toBe(
      '/accounts/settings',
    );
  });

  it('makes paths absolute against the public origin', () => {
    expect(absoluteReturnTo('/accounts/settings', 'https://example.com/accounts')).toBe(
      'https://example.com/accounts/settings',
    );
    expect(absoluteReturnTo('https://app.example.com/x', publicUrl)).toBe(
      'https://app.example.com/x',
    );
  });
});
