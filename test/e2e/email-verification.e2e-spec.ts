import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, login, newAccount, register } from '../support/accounts';
import { appWithMail, AppWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import type { TestApp } from '../support/test-app';

describe('email verification and email changes', () => {
  let mail: MailServer;
  let t: TestApp;
  const tokens = () => t.db.collection('one_time_tokens');
  const outbox = () => t.db.collection('mail_outbox');

  let fixture: AppWithMail;
  beforeAll(async () => {
    fixture = await appWithMail();
    ({ mail, t } = fixture);
  });
  afterAll(() => fixture?.close());

  const me = (cookie: string) => request(t.http).get('/me').set('Cookie', cookie);
  const verify = (token: unknown, cookie?: string) => {
    const call = request(t.http).post('/auth/email/verify');
    if (cookie) call.set('Cookie', cookie);
    return call.send({ token });
  };
  /** Registers, and returns the token of the verification link it was sent. */
  async function registered() {
    const result = await register(t.http);
    const token = tokenIn(await mail.next(result.account.email), '/verify-email');
    return { ...result, token };
  }
  /** Time passes: the account may ask for a link again. */
  const allowResend = (userId: string) =>
    t.db
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(userId) }, { $unset: { mailSentAt: 1 } });

  describe('at registration', () => {
    it('sends a link; the email counts as verified once the link is used, in the same browser', async () => {
      const { cookie, token, account } = await registered();
      expect((await me(cookie).expect(200)).body.user).toMatchObject({
        email: account.email,
        emailVerified: false,
        pendingEmail: null,
      });
      // Only the token's hash is stored.
      const stored = await tokens().find({}).toArray();
      expect(stored.length).toBeGreaterThan(0);
      expect(JSON.stringify(stored)).not.toContain(token);

      const verified = await verify(token, cookie).expect(200);
      expect(verified.body).toEqual({ email: account.email, signedOut: false });
      expect((await me(cookie).expect(200)).body.user.emailVerified).toBe(true);
    });

    it('refuses a link used twice, an expired one, a malformed one, and names the field', async () => {
      const first = await registered();
      await verify(first.token, first.cookie).expect(200);
      const reused = await verify(first.token, first.cookie).expect(400);
      expect(reused.body.error).toMatchObject({ code: 'INVALID_TOKEN', field: 'token' });

      const { cookie, token, user } = await registered();
      // A day passes.
      await tokens().updateMany(
        { userId: new Types.ObjectId(user.id) },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
      expect((await verify(token, cookie).expect(400)).body.error.code).toBe('INVALID_TOKEN');
      expect((await me(cookie)).body.user.emailVerified).toBe(false);

      expect((await verify('not-a-token').expect(400)).body.error.code).toBe('INVALID_TOKEN');
      const missing = await verify(undefined).expect(400);
      expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'token' });
    });

    it('voids the older link when a newer one is sent, and limits how often', async () => {
      const { cookie, token, user, account } = await registered();
      const again = await request(t.http)
        .post('/me/email/verification')
        .set('Cookie', cookie)
        .expect(429);
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);

      await allowResend(user.id);
      const sent = await request(t.http)
        .post('/me/email/verification')
        .set('Cookie', cookie)
        .expect(202);
      expect(sent.body).toEqual({ sentTo: account.email });
      const newer = tokenIn(await mail.next(account.email, 2), '/verify-email');
      expect((await verify(token, cookie).expect(400)).body.error.code).toBe('INVALID_TOKEN');
      await verify(newer, cookie).expect(200);

      const nothing = await request(t.http)
        .post('/me/email/verification')
        .set('Cookie', cookie)
        .expect(409);
      expect(nothing.body.error.code).toBe('NOTHING_TO_VERIFY');
    });

    it('sends one link for ten requests at once: the others are 429 with Retry-After', async () => {
      const { cookie, user, account } = await registered();
      await allowResend(user.id);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(t.http).post('/me/email/verification').set('Cookie', cookie),
        ),
      );
      const statuses = answers.map(({ status }) => status).sort();
      expect(statuses).toEqual([202, ...Array.from({ length: 9 }, () => 429)]);
      for (const refused of answers.filter(({ status }) => status === 429)) {
        expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(await outbox().countDocuments({ to: account.email, kind: 'verify-email' })).toBe(2);
    });

    it("verifies only the link's own account, and used elsewhere it signs that account out everywhere", async () => {
      const victim = await registered();
      const other = await registered();
      const used = await verify(victim.token, other.cookie).expect(200);
      expect(used.body).toEqual({ email: victim.account.email, signedOut: true });
      expect((await me(other.cookie).expect(200)).body.user.emailVerified).toBe(false);
      await me(victim.cookie).expect(401);
      const back = await login(t.http, victim.account.email, GOOD_PASSWORD);
      expect((await me(back)).body.user.emailVerified).toBe(true);
    });
  });

  describe('changing the email', () => {
    /** A registered account whose email is verified, signed in recently. */
    async function verifiedAccount() {
      const result = await registered();
      await verify(result.token, result.cookie).expect(200);
      return result;
    }
    const change = (cookie: string, email: string) =>
      request(t.http).patch('/me').set('Cookie', cookie).send({ email });

    it('waits for the new address to confirm, tells the old one with a way to cancel, then applies', async () => {
      const { cookie, account } = await verifiedAccount();
      const to = newAccount().email;
      const pending = await change(cookie, to.toUpperCase()).expect(202);
      expect(pending.body.user).toMatchObject({
        email: account.email,
        emailVerified: true,
        pendingEmail: to,
      });
      const notice = await mail.next(account.email, 2);
      expect(notice.subject).toContain('about to change');
      expect(notice.text).toContain(to);
      expect(notice.text).toContain('/cancel-email-change?token=');
      const confirm = tokenIn(await mail.next(to), '/verify-email');
      // Until confirmed, the old email still signs in and the new one does not.
      await login(t.http, account.email, GOOD_PASSWORD);

      const applied = await verify(confirm, cookie).expect(200);
      expect(applied.body).toEqual({ email: to, signedOut: false });
      expect((await me(cookie)).body.user).toMatchObject({
        email: to,
        emailVerified: true,
        pendingEmail: null,
      });
      const changed = await mail.next(account.email, 3);
      expect(changed.subject).toContain('was changed');
      expect(changed.text).toContain(to);
      await login(t.http, to, GOOD_PASSWORD);
      await request(t.http)
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(401);
    });

    it('cancels from the old address: the confirmation link then does nothing', async () => {
      const { cookie, account } = await verifiedAccount();
      const to = newAccount().email;
      await change(cookie, to).expect(202);
      const cancel = tokenIn(await mail.next(account.email, 2), '/cancel-email-change');
      const confirm = tokenIn(await mail.next(to), '/verify-email');
      await request(t.http).post('/auth/email/change/cancel').send({ token: cancel }).expect(204);
      expect((await me(cookie)).body.user).toMatchObject({
        email: account.email,
        pendingEmail: null,
      });
      expect((await verify(confirm, cookie).expect(400)).body.error.code).toBe('INVALID_TOKEN');
      await request(t.http).post('/auth/email/change/cancel').send({ token: cancel }).expect(400);
    });

    it('answers 409 when the address was taken meanwhile, and changes nothing', async () => {
      const { cookie, account } = await verifiedAccount();
      const contested = newAccount();
      await change(cookie, contested.email).expect(202);
      const confirm = tokenIn(await mail.next(contested.email), '/verify-email');
      // Someone else registers the address and proves it first.
      const rival = await register(t.http, contested);
      const rivalToken = tokenIn(await mail.next(contested.email, 2), '/verify-email');
      await verify(rivalToken, rival.cookie).expect(200);

      // Proving it voided the pending change: its link answers 409 and changes nothing.
      expect((await me(cookie)).body.user.pendingEmail).toBeNull();
      const taken = await verify(confirm, cookie).expect(409);
      expect(taken.body.error).toMatchObject({ code: 'EMAIL_TAKEN' });
      expect((await me(cookie)).body.user).toMatchObject({
        email: account.email,
        pendingEmail: null,
      });
      expect((await me(rival.cookie)).body.user).toMatchObject({
        email: contested.email,
        emailVerified: true,
      });
    });

    it('voids a pending change once another account registers the address: the registrant keeps it, even when they use the change link', async () => {
      // The attacker asks for the victim's address before the victim arrives.
      const attacker = await verifiedAccount();
      const victimAccount = newAccount();
      await change(attacker.cookie, victimAccount.email).expect(202);
      const attackersLink = await mail.next(victimAccount.email);
      // The message says which account the address would go to.
      expect(attackersLink.text).toContain(`@${attacker.user.username}`);
      expect(attackersLink.html).toContain(`@${attacker.user.username}`);
      expect((await me(attacker.cookie)).body.user.pendingEmail).toBe(victimAccount.email);

      const victim = await register(t.http, victimAccount);
      expect((await me(attacker.cookie)).body.user.pendingEmail).toBeNull();
      await mail.next(victimAccount.email, 2);
      // The victim, with two "confirm your address" messages, opens the attacker's.
      const taken = await verify(tokenIn(attackersLink, '/verify-email')).expect(409);
      expect(taken.body.error.code).toBe('EMAIL_TAKEN');

      expect((await me(attacker.cookie)).body.user).toMatchObject({
        email: attacker.account.email,
        emailVerified: true,
        pendingEmail: null,
      });
      expect((await me(victim.cookie).expect(200)).body.user).toMatchObject({
        email: victimAccount.email,
        emailVerified: false,
      });
      await login(t.http, victimAccount.email, GOOD_PASSWORD);
      // The attacker asking again changes nothing either: the address goes to whoever proves it.
      await allowResend(attacker.user.id);
      await change(attacker.cookie, victimAccount.email).expect(202);
      const again = tokenIn(await mail.next(victimAccount.email, 3), '/verify-email');
      const victimsOwn = tokenIn(await mail.next(victimAccount.email, 2), '/verify-email');
      await verify(victimsOwn, victim.cookie).expect(200);
      expect((await me(attacker.cookie)).body.user.pendingEmail).toBeNull();
      expect((await verify(again).expect(409)).body.error.code).toBe('EMAIL_TAKEN');
      expect((await me(victim.cookie)).body.user.email).toBe(victimAccount.email);
    });

    it('sends one change a minute: asking again within it is 429 with Retry-After, and sends and writes nothing', async () => {
      const { cookie, account } = await verifiedAccount();
      const first = newAccount().email;
      await change(cookie, first).expect(202);
      await mail.next(first);
      const sentBefore = await outbox().countDocuments();
      const second = newAccount().email;
      for (const email of [first, second]) {
        const refused = await request(t.http)
          .patch('/me')
          .set('Cookie', cookie)
          .send({ name: 'Not saved', email })
          .expect(429);
        expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      expect(await outbox().countDocuments()).toBe(sentBefore);
      expect((await me(cookie)).body.user).toMatchObject({
        email: account.email,
        name: null,
        pendingEmail: first,
      });
      // Going back to the current address sends nothing, so it is never limited.
      await change(cookie, account.email).expect(200);
    });

    it('refuses at once an address another account has verified', async () => {
      const holder = await verifiedAccount();
      const { cookie } = await verifiedAccount();
      const refused = await change(cookie, holder.account.email).expect(409);
      expect(refused.body.error).toMatchObject({ code: 'EMAIL_TAKEN', field: 'email' });
      expect((await me(cookie)).body.user.pendingEmail).toBeNull();
    });

    it('takes strasse without touching straße, another address, nor its account', async () => {
      const tag = newAccount().email.split('@')[0];
      const sharp = await register(t.http, newAccount({ email: `straße.${tag}@example.test` }));
      const verifiedSharp = await register(
        t.http,
        newAccount({ email: `straße.verified.${tag}@example.test` }),
      );
      const proof = tokenIn(await mail.next(verifiedSharp.account.email), '/verify-email');
      await verify(proof, verifiedSharp.cookie).expect(200);
      const { cookie } = await verifiedAccount();

      // Neither the verified straße nor the unverified one stands in the way (two accounts ask,
      // each within its one change a minute).
      await change((await verifiedAccount()).cookie, `STRASSE.verified.${tag}@example.test`).expect(
        202,
      );
      const plain = `strasse.${tag}@example.test`;
      await change(cookie, plain.toUpperCase()).expect(202);
      await verify(tokenIn(await mail.next(plain), '/verify-email'), cookie).expect(200);
      expect((await me(cookie)).body.user).toMatchObject({ email: plain, emailVerified: true });
      // Proving strasse did not release the unverified straße from its account.
      expect((await me(sharp.cookie)).body.user).toMatchObject({
        email: sharp.account.email,
        emailVerified: false,
      });
    });

    it('refuses an address with a ligature or a zero-width character, naming email', async () => {
      const { cookie } = await verifiedAccount();
      for (const email of [`ﬁ.${newAccount().email}`, `a\u200b${newAccount().email}`]) {
        const refused = await change(cookie, email).expect(400);
        expect(refused.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'email' });
      }
      expect((await me(cookie)).body.user.pendingEmail).toBeNull();
    });

    it('applies other profile changes at once beside a pending email', async () => {
      const { cookie } = await verifiedAccount();
      const to = newAccount().email;
      const response = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send({ name: 'Renamed', email: to })
        .expect(202);
      expect(response.body.user).toMatchObject({ name: 'Renamed', pendingEmail: to });
      const same = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send({ email: response.body.user.email })
        .expect(200);
      expect(same.body.user.pendingEmail).toBeNull();
    });
  });
});
