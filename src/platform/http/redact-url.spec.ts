import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('replaces the values of secret query parameters and keeps the rest', () => {
    expect(redactUrl('/auth/google/callback?code=4%2F0Ab&state=s3cret&scope=email')).toBe(
      '/auth/google/callback?code=redacted&state=redacted&scope=email',
    );
  });

  it("replaces an app's sign-out hint (an ID token)", () => {
    expect(redactUrl('/oauth2/logout?id_token_hint=eyJ.eyJ.sig&client_id=notes')).toBe(
      '/oauth2/logout?id_token_hint=redacted&client_id=notes',
    );
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/me')).toBe('/me');
  });
});
