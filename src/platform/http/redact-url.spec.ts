import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('replaces the values of secret query parameters and keeps the rest', () => {
    expect(redactUrl('/auth/google/callback?code=4%2F0Ab&state=s3cret&scope=email')).toBe(
      '/auth/google/callback?code=redacted&state=redacted&scope=email',
    );
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/me')).toBe('/me');
  });
});
