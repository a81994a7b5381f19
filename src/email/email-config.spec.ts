import { emailConfig } from './email-config';

/** What production needs to send mail. */
const MAIL = {
  SMTP_URL: 'smtps://user:secret@mail.example.test:465',
  MAIL_FROM: 'Accounts <no-reply@example.test>',
};

/** The secret every production instance must share (the forms' CSRF tokens). */
const SHARED = { CSRF_SECRET: 'c'.repeat(32) };

describe('emailConfig.fromEnvironment', () => {
  it('refuses production without SMTP_URL and MAIL_FROM, and never echoes SMTP_URL', () => {
    const production = {
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://db:27017/accounts',
      ...SHARED,
    };
    expect(() => emailConfig.fromEnvironment(production)).toThrow(
      /SMTP_URL and MAIL_FROM are required when NODE_ENV=production/,
    );
    expect(() => emailConfig.fromEnvironment({ ...production, SMTP_URL: MAIL.SMTP_URL })).toThrow(
      /SMTP_URL and MAIL_FROM are required/,
    );
    expect(() =>
      emailConfig.fromEnvironment({ SMTP_URL: 'http://user:hunter2@mail.example.test' }),
    ).toThrow(/^(?![\s\S]*hunter2)[\s\S]*SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(emailConfig.fromEnvironment({ ...production, ...MAIL }).mailFrom).toBe(MAIL.MAIL_FROM);
  });

  it('names development mail after APP_NAME and PUBLIC_URL', () => {
    const config = emailConfig.fromEnvironment({
      APP_NAME: 'Acme',
      PUBLIC_URL: 'https://id.acme.test',
    });
    expect(config.mailFrom).toBe('Acme <no-reply@id.acme.test>');
  });
});
