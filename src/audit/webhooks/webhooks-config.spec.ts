import { webhooksConfig } from './webhooks-config';

describe('webhooks', () => {
  const secret = (bytes: number) => `whsec_${Buffer.alloc(bytes, 7).toString('base64')}`;

  it('are off by default', () => {
    const config = webhooksConfig.fromEnvironment({});
    expect(config.WEBHOOK_URLS).toEqual([]);
    expect(config.WEBHOOK_SECRET).toBeUndefined();
    expect(config.WEBHOOK_RETRY_SECONDS).toBe(5);
  });

  it('reads a comma-separated list of http(s) URLs and a Standard Webhooks secret', () => {
    const config = webhooksConfig.fromEnvironment({
      WEBHOOK_URLS: 'https://billing.example.test/hooks, http://localhost:4000/accounts?token=abc',
      WEBHOOK_SECRET: secret(32),
      WEBHOOK_RETRY_SECONDS: '1',
    });
    expect(config.WEBHOOK_URLS).toEqual([
      'https://billing.example.test/hooks',
      'http://localhost:4000/accounts?token=abc',
    ]);
    expect(config.WEBHOOK_SECRET).toBe(secret(32));
    expect(config.WEBHOOK_RETRY_SECONDS).toBe(1);
  });

  it('requires WEBHOOK_SECRET with WEBHOOK_URLS', () => {
    expect(() =>
      webhooksConfig.fromEnvironment({ WEBHOOK_URLS: 'https://billing.example.test/hooks' }),
    ).toThrow(/WEBHOOK_SECRET is required when WEBHOOK_URLS is set/);
  });

  it.each([
    ['ftp://billing.example.test/hooks'],
    ['billing.example.test/hooks'],
    ['https://user:hunter2@billing.example.test/hooks'],
    ['https://billing.example.test/hooks,not a url'],
  ])('refuses WEBHOOK_URLS=%s without echoing it', (urls) => {
    expect(() =>
      webhooksConfig.fromEnvironment({ WEBHOOK_URLS: urls, WEBHOOK_SECRET: secret(32) }),
    ).toThrow(
      /^(?![\s\S]*(hunter2|billing))[\s\S]*WEBHOOK_URLS must be a comma-separated list of http:\/\/ or https:\/\/ URLs/,
    );
  });

  it.each([
    ['no whsec_ prefix', Buffer.alloc(32, 7).toString('base64')],
    ['not base64', 'whsec_hunter2-not*base64!'],
    ['base64 without its padding', secret(32).replace(/=+$/, '').slice(0, -1)],
    ['nothing after whsec_', 'whsec_'],
  ])('refuses a WEBHOOK_SECRET with %s, without echoing it', (_case, value) => {
    expect(() => webhooksConfig.fromEnvironment({ WEBHOOK_SECRET: value })).toThrow(
      /^(?![\s\S]*hunter2)[\s\S]*WEBHOOK_SECRET must be whsec_ followed by base64/,
    );
  });

  it('wants a secret of 24 to 64 bytes, as the specification recommends', () => {
    expect(webhooksConfig.fromEnvironment({ WEBHOOK_SECRET: secret(24) }).WEBHOOK_SECRET).toBe(
      secret(24),
    );
    expect(webhooksConfig.fromEnvironment({ WEBHOOK_SECRET: secret(64) }).WEBHOOK_SECRET).toBe(
      secret(64),
    );
    expect(() => webhooksConfig.fromEnvironment({ WEBHOOK_SECRET: secret(16) })).toThrow(
      /WEBHOOK_SECRET must encode 24 to 64 random bytes \(it has 16\)/,
    );
    expect(() => webhooksConfig.fromEnvironment({ WEBHOOK_SECRET: secret(65) })).toThrow(
      /WEBHOOK_SECRET must encode 24 to 64 random bytes \(it has 65\)/,
    );
  });

  it('bounds WEBHOOK_RETRY_SECONDS to 1-3600', () => {
    expect(() => webhooksConfig.fromEnvironment({ WEBHOOK_RETRY_SECONDS: '0' })).toThrow(
      /WEBHOOK_RETRY_SECONDS must not be less than 1/,
    );
    expect(() => webhooksConfig.fromEnvironment({ WEBHOOK_RETRY_SECONDS: '3601' })).toThrow(
      /WEBHOOK_RETRY_SECONDS must not be greater than 3600/,
    );
  });
});
