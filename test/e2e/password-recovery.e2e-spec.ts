import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, login, newAccount, register, sessionCookie } from '../support/accounts';
import { appWithMail, AppWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import type { TestApp } from '../support/test-app';

const NEW_PASSWORD = 'a recovered passphrase, long enough';
const REQUESTED = {
  message: 'If an account has this email address, a link to reset its password is on its way.',
};

describe('password recovery by email', () => {
  let mail: MailServer;
  let t: TestApp;
  const tokens = () => t.db.collection('one_time_tokens');

  let fixture: AppWithMail;
  beforeAll(async () => {
    fixture = await appWithMail();
    ({ mail, t } = fixture);
  });
  afterAll(() => fixture?.close());

  const forgot = (email: string) =>
    request(t.http).post('/auth/password/forgot').send({ email }).expect(202);
  const reset = (token: unknown, newPassword = NEW_PASSWORD) =>
    request(t.http).post('/auth/password/reset').send({ token, newPassword });
  const me = (cookie: string) => request(t.http).get('/me').set('Cookie', cookie);
  /** The recovery link's token from the `nth` message to `email`. */
  const recoveryToken = async (email: string, nth: number) =>
    tokenIn(await mail.next(email, nth), '/reset-password');
  /** Time passes: the account may be sent a link again. */
  const allowAnother = (userId: string) =>
    t.db
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(userId) }, { $unset: { 'mailSentAt.recovery': 1 } });

  it('sets a new password: every session ends, a pending email change is cancelled, the email is verified', async () => {
    const { cookie, account, user } = await register(t.http);
    const otherDevice = await login(t.http, account.email, GOOD_PASSWORD);
    const pending = newAccount().email;
    await request(t.http).patch('/me').set('Cookie', cookie).send({ email: pending }).expect(202);

    expect((await forgot(account.email.toUpperCase())).body).toEqual(REQUESTED);
    const token = await recoveryToken(account.email, 2);
    await reset(token).expect(204);

    await me(cookie).expect(401);
    await me(otherDevice).expect(401);
    await request(t.http)
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(401);
    const signedIn = await login(t.http, account.email, NEW_PASSWORD);
    expect((await me(signedIn)).body.user).toMatchObject({
      id: user.id,
      emailVerified: true,
      pendingEmail: null,
    });
    const notice = await mail.next(account.email, 3);
    expect(notice.subject).toBe('Your password was reset · Account');
    // The email change's link died with it.
    const confirm = tokenIn(await mail.next(pending), '/verify-email');
    await request(t.http).post('/auth/email/verify').send({ token: confirm }).expect(400);
  });

  it('ends at once a session whose token was just replaced, and the token it replaced', async () => {
    const { cookie, account } = await register(t.http);
    const confirmed = await request(t.http)
      .post('/auth/reauthenticate')
      .set('Cookie', cookie)
      .send({ password: GOOD_PASSWORD })
      .expect(200);
    const fresh = sessionCookie(confirmed);
    await forgot(account.email);
    await reset(await recoveryToken(account.email, 2)).expect(204);
    await me(fresh).expect(401);
    await me(cookie).expect(401);
  });

  it('answers the same for an unknown address, and sends nothing', async () => {
    const unknown = newAccount().email;
    expect((await forgot(unknown)).body).toEqual(REQUESTED);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mail.to(unknown)).toHaveLength(0);
  });

  it('sends the link for strasse to strasse only, never to straße: two addresses', async () => {
    const tag = newAccount().email.split('@')[0];
    const sharp = await register(t.http, newAccount({ email: `straße.${tag}@example.test` }));
    const plain = await register(t.http, newAccount({ email: `strasse.${tag}@example.test` }));

    const recoveryLinks = (email: string) =>
      mail.to(email).filter(({ text }) => text.includes('/reset-password?'));

    // Each was sent its verification link first.
    await forgot(`STRASSE.${tag}@example.test`);
    const token = await recoveryToken(plain.account.email, 2);
    await reset(token).expect(204);
    const signedIn = await login(t.http, plain.account.email, NEW_PASSWORD);
    expect((await me(signedIn)).body.user.id).toBe(plain.user.id);

    // Once straße's own link has arrived (after strasse's), it is the only one straße received,
    // and its password is unchanged.
    await forgot(`straße.${tag}@example.test`);
    await mail.next(sharp.account.email, 2);
    expect(recoveryLinks(sharp.account.email)).toHaveLength(1);
    expect(recoveryLinks(plain.account.email)).toHaveLength(1);
    await login(t.http, sharp.account.email, GOOD_PASSWORD);
  });

  it('answers as fast for an unknown address as for a known one (within 2×)', async () => {
    const { account } = await register(t.http);
    const unknown = newAccount().email;
    const timed = async (email: string) => {
      const start = process.hrtime.bigint();
      await forgot(email);
      return Number(process.hrtime.bigint() - start);
    };
    // Interleaved, so whatever else the process does weighs on both alike.
    const known: number[] = [];
    const absent: number[] = [];
    for (let i = 0; i < 15; i++) {
      known.push(await timed(account.email));
      absent.push(await timed(unknown));
    }
    const median = (times: number[]) => times.sort((a, b) => a - b)[7];
    const ratio = median(known) / median(absent);
    expect(ratio).toBeLessThan(2);
    expect(ratio).toBeGreaterThan(0.5);
  });

  it('sends one link for fifteen requests at once, and answers each the same', async () => {
    const { account } = await register(t.http);
    const answers = await Promise.all(
      Array.from({ length: 15 }, () => forgot(account.email.toUpperCase())),
    );
    for (const answer of answers) expect(answer.body).toEqual(REQUESTED);
    await recoveryToken(account.email, 2);
    // The requests answer before their work is done: give the rest time to send (or not).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const queued = await t.db
      .collection('mail_outbox')
      .countDocuments({ to: account.email, kind: 'password-reset' });
    expect(queued).toBe(1);
    expect(mail.to(account.email)).toHaveLength(2);
  });

  it('lets an account without a password set a first one', async () => {
    // An account that signs in only through a provider, made here by removing the password of one
    // that also has nothing else: stored directly, as the social tests build such accounts for real.
    const { account, user } = await register(t.http);
    await t.db
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(user.id) }, { $unset: { passwordHash: '' } });
    await forgot(account.email);
    const message = await mail.next(account.email, 2);
    expect(message.text).toContain('set a password');
    await reset(tokenIn(message, '/reset-password')).expect(204);
    await login(t.http, account.email, NEW_PASSWORD);
    expect((await mail.next(account.email, 3)).subject).toBe('Your password was set · Account');
  });

  describe('refuses a misused link, and changes nothing', () => {
    it('used twice', async () => {
      const { account } = await register(t.http);
      await forgot(account.email);
      const token = await recoveryToken(account.email, 2);
      await reset(token).expect(204);
      const again = await reset(token, 'yet another passphrase here').expect(400);
      expect(again.body.error).toMatchObject({ code: 'INVALID_TOKEN', field: 'token' });
      await login(t.http, account.email, NEW_PASSWORD);
    });

    it('expired', async () => {
      const { account, user } = await register(t.http);
      await forgot(account.email);
      const token = await recoveryToken(account.email, 2);
      await tokens().updateMany(
        { userId: new Types.ObjectId(user.id) },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
      expect((await reset(token).expect(400)).body.error.code).toBe('INVALID_TOKEN');
      await login(t.http, account.email, GOOD_PASSWORD);
    });

    it('replaced by a newer one; and only one link a minute is sent', async () => {
      const { account, user } = await register(t.http);
      await forgot(account.email);
      const older = await recoveryToken(account.email, 2);
      await forgot(account.email);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(mail.to(account.email)).toHaveLength(2);

      await allowAnother(user.id);
      await forgot(account.email);
      const newer = await recoveryToken(account.email, 3);
      expect((await reset(older).expect(400)).body.error.code).toBe('INVALID_TOKEN');
      await reset(newer).expect(204);
    });

    it("of another kind (an email verification link), or another account's", async () => {
      const { account } = await register(t.http);
      const verification = tokenIn(await mail.next(account.email), '/verify-email');
      expect((await reset(verification).expect(400)).body.error.code).toBe('INVALID_TOKEN');

      const other = await register(t.http);
      await forgot(other.account.email);
      const othersToken = await recoveryToken(other.account.email, 2);
      await reset(othersToken).expect(204);
      // It reset the other account only.
      await login(t.http, account.email, GOOD_PASSWORD);
      await login(t.http, other.account.email, NEW_PASSWORD);
    });

    it('with a weak new password: 400 naming newPassword, and the link still works', async () => {
      const { account } = await register(t.http);
      await forgot(account.email);
      const token = await recoveryToken(account.email, 2);
      const weak = await reset(token, 'short').expect(400);
      expect(weak.body.error).toMatchObject({ code: 'WEAK_PASSWORD', field: 'newPassword' });
      await reset(token).expect(204);
    });
  });
});
