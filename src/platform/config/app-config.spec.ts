import { AppConfig } from './app-config';

/** What production needs to send mail. */
const MAIL = {
  SMTP_URL: 'smtps://user:secret@mail.example.test:465',
  MAIL_FROM: 'Accounts <no-reply@example.test>',
};

/** The secret every production instance must share (the forms' CSRF tokens). */
const SHARED = { CSRF_SECRET: 'c'.repeat(32) };

describe('AppConfig.fromEnvironment', () => {
  it('applies defaults', () => {
    const config = AppConfig.fromEnvironment({});
    expect(config.PORT).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.ALLOWED_ORIGINS).toEqual([]);
  });

  it('reads and converts variables', () => {
    const config = AppConfig.fromEnvironment({
      PORT: '8080',
      PUBLIC_URL: 'https://accounts.example.com/',
      ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com',
    });
    expect(config.PORT).toBe(8080);
    expect(config.publicUrl).toBe('https://accounts.example.com');
    expect([...config.trustedOrigins]).toEqual([
      'https://accounts.example.com',
      'https://a.example.com',
      'https://b.example.com',
    ]);
  });

  it('never echoes the value of a secret variable', () => {
    expect(() => AppConfig.fromEnvironment({ MONGODB_URI: 'postgres://user:hunter2@db' })).toThrow(
      /^(?![\s\S]*hunter2)[\s\S]*MONGODB_URI/,
    );
  });

  it('takes a METRICS_TOKEN of 32 characters or more, and never echoes a short one', () => {
    expect(AppConfig.fromEnvironment({}).METRICS_TOKEN).toBeUndefined();
    expect(AppConfig.fromEnvironment({ METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
    const token = 'x'.repeat(32);
    expect(AppConfig.fromEnvironment({ METRICS_TOKEN: token }).METRICS_TOKEN).toBe(token);
    expect(() => AppConfig.fromEnvironment({ METRICS_TOKEN: 'short-hunter2' })).toThrow(
      /^(?![\s\S]*hunter2)[\s\S]*METRICS_TOKEN must be at least 32 characters/,
    );
  });

  it('refuses production without MONGODB_URI', () => {
    expect(() => AppConfig.fromEnvironment({ NODE_ENV: 'production' })).toThrow(
      /MONGODB_URI is required when NODE_ENV=production/,
    );
    expect(
      AppConfig.fromEnvironment({
        NODE_ENV: 'production',
        MONGODB_URI: 'mongodb://db:27017/accounts',
        ...MAIL,
        ...SHARED,
      }).isProduction,
    ).toBe(true);
  });

  it('refuses production without CSRF_SECRET, which every instance must share', () => {
    const production = {
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://db:27017/accounts',
      ...MAIL,
    };
    expect(() => AppConfig.fromEnvironment(production)).toThrow(
      /CSRF_SECRET is required when NODE_ENV=production/,
    );
    expect(() =>
      AppConfig.fromEnvironment({ ...production, CSRF_SECRET: 'short-hunter2' }),
    ).toThrow(/^(?![\s\S]*hunter2)[\s\S]*CSRF_SECRET must be at least 32 characters/);
    const secret = 's'.repeat(32);
    expect(AppConfig.fromEnvironment({ ...production, CSRF_SECRET: secret }).csrfSecret).toBe(
      secret,
    );
  });

  it('signs forms with one fixed development secret when CSRF_SECRET is unset, the same in every process', () => {
    const first = AppConfig.fromEnvironment({}).csrfSecret;
    expect(first).toMatch(/development only/);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'test' }).csrfSecret).toBe(first);
  });

  it('reads SHUTDOWN_GRACE_SECONDS (1-300, default 10)', () => {
    expect(AppConfig.fromEnvironment({}).SHUTDOWN_GRACE_SECONDS).toBe(10);
    expect(AppConfig.fromEnvironment({ SHUTDOWN_GRACE_SECONDS: '30' }).SHUTDOWN_GRACE_SECONDS).toBe(
      30,
    );
    expect(() => AppConfig.fromEnvironment({ SHUTDOWN_GRACE_SECONDS: '0' })).toThrow(
      /SHUTDOWN_GRACE_SECONDS must not be less than 1/,
    );
  });

  describe('TRUST_PROXY', () => {
    it.each([
      ['1', 1],
      ['2', 2],
      ['loopback', ['loopback']],
      ['loopback, 10.0.0.0/8, fd00::/8', ['loopback', '10.0.0.0/8', 'fd00::/8']],
      ['linklocal,uniquelocal,192.168.1.10', ['linklocal', 'uniquelocal', '192.168.1.10']],
      ['10.0.0.0/255.0.0.0', ['10.0.0.0/255.0.0.0']],
    ])('accepts %s', (value, setting) => {
      expect(AppConfig.fromEnvironment({ TRUST_PROXY: value }).trustProxy).toEqual(setting);
    });

    it('is off when unset or empty', () => {
      expect(AppConfig.fromEnvironment({}).trustProxy).toBeUndefined();
      expect(AppConfig.fromEnvironment({ TRUST_PROXY: ' ' }).trustProxy).toBeUndefined();
    });

    it('refuses true, which would let any client choose its address', () => {
      expect(() => AppConfig.fromEnvironment({ TRUST_PROXY: 'true' })).toThrow(
        /TRUST_PROXY must be a hop count .*; "true" would let any client choose its address through X-Forwarded-For \(got "true"\)/,
      );
      expect(() => AppConfig.fromEnvironment({ TRUST_PROXY: 'TRUE' })).toThrow(/TRUST_PROXY/);
    });

    it.each([
      'false',
      'yes',
      '0',
      '-1',
      '1.2.3',
      '10.0.0.0/33',
      'loopback, everyone',
      '1, 10.0.0.1',
    ])('refuses %s, naming TRUST_PROXY', (value) => {
      expect(() => AppConfig.fromEnvironment({ TRUST_PROXY: value })).toThrow(
        new RegExp(
          `TRUST_PROXY must be a hop count .*\\(got "${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\)`,
        ),
      );
    });
  });

  describe('cookies', () => {
    it.each([
      [undefined, false, ''],
      ['http://accounts.example.test', false, ''],
      ['https://accounts.example.test', true, '__Host-'],
      ['https://accounts.example.test/', true, '__Host-'],
      ['https://example.test/accounts', true, ''],
    ])('PUBLIC_URL %s: Secure %s, prefix "%s"', (publicUrl, secure, prefix) => {
      const config = AppConfig.fromEnvironment(publicUrl ? { PUBLIC_URL: publicUrl } : {});
      expect(config.secureCookies).toBe(secure);
      expect(config.hostOnlyCookiePrefix).toBe(prefix);
    });

    it('no longer follows NODE_ENV', () => {
      const config = AppConfig.fromEnvironment({
        NODE_ENV: 'production',
        MONGODB_URI: 'mongodb://db:27017/accounts',
        PUBLIC_URL: 'http://intranet.example.test',
        ...MAIL,
        ...SHARED,
      });
      expect(config.secureCookies).toBe(false);
    });
  });
});
