import { signInConfig } from './sign-in-config';

/** What production needs to send mail. */
const MAIL = {
  SMTP_URL: 'smtps://user:secret@mail.example.test:465',
  MAIL_FROM: 'Accounts <no-reply@example.test>',
};

/** The secret every production instance must share (the forms' CSRF tokens). */
const SHARED = { CSRF_SECRET: 'c'.repeat(32) };

describe('signInConfig.fromEnvironment', () => {
  it('refuses an absolute session lifetime shorter than the idle one', () => {
    expect(() =>
      signInConfig.fromEnvironment({
        SESSION_IDLE_TIMEOUT_SECONDS: '7200',
        SESSION_ABSOLUTE_TIMEOUT_SECONDS: '3600',
      }),
    ).toThrow(/SESSION_ABSOLUTE_TIMEOUT_SECONDS/);
  });

  describe('sign-in failure limits', () => {
    it('default to 5 free failures, waits doubling from 1 s to 15 minutes, and a lock at 100', () => {
      const config = signInConfig.fromEnvironment({});
      expect([
        config.SIGN_IN_FREE_FAILURES,
        config.SIGN_IN_FIRST_DELAY_SECONDS,
        config.SIGN_IN_MAX_DELAY_SECONDS,
        config.SIGN_IN_LOCK_AFTER_FAILURES,
        config.SIGN_IN_RATE_LIMIT,
      ]).toEqual([5, 1, 900, 100, 20]);
    });

    it('refuses a first wait longer than the longest', () => {
      expect(() =>
        signInConfig.fromEnvironment({
          SIGN_IN_FIRST_DELAY_SECONDS: '60',
          SIGN_IN_MAX_DELAY_SECONDS: '30',
        }),
      ).toThrow(/SIGN_IN_FIRST_DELAY_SECONDS must not be longer than SIGN_IN_MAX_DELAY_SECONDS/);
    });

    it('allows a lock after more than 100 failures only outside production (NIST SP 800-63B)', () => {
      const production = {
        NODE_ENV: 'production',
        MONGODB_URI: 'mongodb://db:27017/accounts',
        ...MAIL,
        ...SHARED,
      };
      expect(() =>
        signInConfig.fromEnvironment({ ...production, SIGN_IN_LOCK_AFTER_FAILURES: '101' }),
      ).toThrow(/SIGN_IN_LOCK_AFTER_FAILURES must be at most 100/);
      expect(
        signInConfig.fromEnvironment({ ...production, SIGN_IN_LOCK_AFTER_FAILURES: '10' })
          .SIGN_IN_LOCK_AFTER_FAILURES,
      ).toBe(10);
      expect(
        signInConfig.fromEnvironment({ NODE_ENV: 'test', SIGN_IN_LOCK_AFTER_FAILURES: '100000' })
          .SIGN_IN_LOCK_AFTER_FAILURES,
      ).toBe(100000);
    });

    it.each([
      ['SIGN_IN_FREE_FAILURES', '-1'],
      ['SIGN_IN_FIRST_DELAY_SECONDS', '0'],
      ['SIGN_IN_MAX_DELAY_SECONDS', '86401'],
      ['SIGN_IN_LOCK_AFTER_FAILURES', '0'],
      ['SIGN_IN_LOCK_AFTER_FAILURES', 'ten'],
    ])('refuses %s=%s', (name, value) => {
      expect(() => signInConfig.fromEnvironment({ [name]: value })).toThrow(new RegExp(name));
    });
  });
});
