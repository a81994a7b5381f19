import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { newAccount, register } from '../support/accounts';
import { appWithMail, AppWithMail } from '../support/fixtures';
import { linkIn, MailServer } from '../support/mail';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { EmailConfig, emailConfig } from '../../src/email/email-config';

describe('mail: the outbox and its delivery over SMTP', () => {
  let mail: MailServer;
  let t: TestApp;
  const outbox = () => t.db.collection('mail_outbox');

  let fixture: AppWithMail;
  beforeAll(async () => {
    fixture = await appWithMail({
      env: { APP_NAME: 'Acme Accounts' },
    });
    ({ mail, t } = fixture);
  });
  afterAll(() => fixture?.close());

  it('sends a plain-text and an HTML body from the templates, named after APP_NAME', async () => {
    const { account } = await register(t.http);
    const message = await mail.next(account.email);
    expect(message.from).toMatch(/^"?Accounts"? <no-reply@example\.test>$/);
    expect(message.subject).toBe('Confirm your email address · Acme Accounts');
    expect(message.text).toContain('your email address for Acme Accounts');
    const link = linkIn(message, '/verify-email');
    expect(link.origin).toBe(t.config.publicUrl);
    // Handlebars escapes "=" in attributes; mail clients read it back.
    expect(message.html.replace(/&#x3D;/g, '=')).toContain(`href="${link.href}"`);
    expect(message.html).toContain('<p>');

    // Delivered: the record stays without its body (the link is no longer stored).
    await waitFor(async () => (await outbox().findOne({ to: account.email }))?.state === 'sent');
    const stored = await outbox().findOne({ to: account.email });
    expect(stored).toMatchObject({ state: 'sent', kind: 'verify-email', attempts: 1 });
    expect(stored).not.toHaveProperty('text');
    expect(stored).not.toHaveProperty('html');
  });

  it('keeps mail through an SMTP outage and delivers it afterwards, once', async () => {
    await mail.stop();
    const { account } = await register(t.http);
    // The first attempt has failed (and let go of the message).
    await waitFor(async () => {
      const message = await outbox().findOne({ to: account.email });
      return message?.lastError !== undefined && message.claimedBy === undefined;
    });
    const waiting = await outbox().findOne({ to: account.email });
    expect(waiting).toMatchObject({ state: 'pending', attempts: 1 });
    expect(waiting?.lastError).toMatch(/ECONNREFUSED|ESOCKET|connect/i);
    expect((waiting?.nextAttemptAt as Date).getTime()).toBeGreaterThan(Date.now());
    expect(waiting?.text).toContain('/verify-email?token=');

    await mail.start();
    // The retry is due (time passes), and the relay delivers it.
    await outbox().updateOne({ _id: waiting!._id }, { $set: { nextAttemptAt: new Date() } });
    const message = await mail.next(account.email);
    expect(message.subject).toContain('Confirm your email address');
    await waitFor(async () => (await outbox().findOne({ _id: waiting!._id }))?.state === 'sent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mail.to(account.email)).toHaveLength(1);
  });

  it('never sends a message twice with two instances delivering the same outbox', async () => {
    const database = newDatabaseName();
    const env = { ...mail.env, MAIL_POLL_INTERVAL_MS: '50' };
    const first = await createTestApp({ env, database });
    const second = await createTestApp({ env, database });
    try {
      await mail.stop();
      const accounts = Array.from({ length: 12 }, () => newAccount());
      await Promise.all(
        accounts.map((account, i) => register((i % 2 ? first : second).http, account)),
      );
      const messages = first.db.collection('mail_outbox');
      // Every first attempt has failed before the server is back.
      await waitFor(
        async () =>
          (await messages.countDocuments({
            lastError: { $exists: true },
            claimedBy: { $exists: false },
          })) === 12,
      );
      await mail.start();
      // Everything is due at once, and both instances race for it.
      await messages.updateMany({}, { $set: { nextAttemptAt: new Date() } });
      await Promise.all(accounts.map((account) => mail.next(account.email)));
      await waitFor(async () => (await messages.countDocuments({ state: 'sent' })) === 12);
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const account of accounts) expect(mail.to(account.email)).toHaveLength(1);
      const ids = accounts.map((account) => mail.to(account.email)[0].messageId);
      expect(new Set(ids).size).toBe(12);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('mail without SMTP_URL (development)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });
  afterAll(() => t.close());

  it('writes each message as an .eml file and logs its links', async () => {
    const { account } = await register(t.http);
    // Logged once the file is complete.
    await waitFor(() => Promise.resolve(t.logs().includes('Mail written')));
    const line = t
      .logs()
      .split('\n')
      .find((entry) => entry.includes('Mail written'));
    const directory = t.app.get<EmailConfig>(emailConfig.KEY).MAIL_OUTBOX_DIR;
    const [file] = readdirSync(directory);
    const eml = readFileSync(join(directory, file), 'utf8');
    expect(eml).toContain(`To: ${account.email}`);
    expect(eml).toMatch(/Content-Type: text\/plain/);
    expect(eml).toMatch(/Content-Type: text\/html/);
    expect(JSON.parse(line!)).toMatchObject({
      level: 30,
      to: account.email,
      links: [expect.stringMatching(/\/verify-email\?token=[\w-]{43}$/)],
    });
  });

  it('is refused at start-up in production without SMTP_URL and MAIL_FROM', async () => {
    await expect(
      createTestApp({
        env: { NODE_ENV: 'production', PUBLIC_URL: 'https://accounts.example.test' },
      }),
    ).rejects.toThrow(/SMTP_URL and MAIL_FROM are required/);
    await request(t.http).get('/health/live').expect(200);
  });
});
