import { Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { totpCodeOf } from '../../src/sign-in/two-step/totp';
import { GOOD_PASSWORD, newAccount, sessionCookie } from '../support/accounts';
import { socialWorldWithMail, SocialWorldWithMail } from '../support/fixtures';
import { accountChecks } from '../support/check-counts';
import { tokenIn } from '../support/mail';
import { newIdentity } from '../support/social';

const STEP_MS = 30_000;
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Two-step sign-in (TOTP and recovery codes) over HTTP: turning it on and off, the second step
 * after a password or a provider, codes used once, the limits, recovery and the admin's way out.
 */
describe('two-step sign-in', () => {
  let s: SocialWorldWithMail;
  const t = () => s.world.t;
  const users = () => t().db.collection('users');
  const sessions = () => t().db.collection('sessions');
  const pending = () => t().db.collection('second_steps');
  const events = (userId: string, type: string) =>
    t()
      .db.collection('events')
      .find({ userId: new Types.ObjectId(userId), type })
      .toArray();
  const stored = (id: string) => users().findOne({ _id: new Types.ObjectId(id) });

  beforeAll(async () => {
    // Webhooks go to an outbox whose receiver never answers: the outbox shows what would be sent.
    s = await socialWorldWithMail({
      WEBHOOK_URLS: 'http://127.0.0.1:9/hooks',
      WEBHOOK_SECRET,
    });
  });
  afterAll(() => s.close());

  /** A signed-in password account with a verified address (so notices reach it). */
  async function signedIn() {
    const account = newAccount();
    const agent = request.agent(t().http);
    const response = await agent.post('/auth/register').send(account).expect(201);
    const id = response.body.user.id as string;
    await users().updateOne({ _id: new Types.ObjectId(id) }, { $set: { emailVerified: true } });
    return { agent, account, id };
  }

  /** The first message to `email` whose subject matches (each wait has MailServer's deadline). */
  async function mailAbout(email: string, subject: RegExp) {
    for (let nth = 1; ; nth += 1) {
      const mail = await s.mail.next(email, nth);
      if (subject.test(mail.subject)) return mail;
    }
  }

  /** Time passes: the last code's time step is long gone, so the next code is a fresh one. */
  const timePasses = (id: string) =>
    users().updateOne({ _id: new Types.ObjectId(id) }, { $unset: { 'twoStep.lastStep': 1 } });

  /** The code the app shows now (after timePasses, or the next step's when `ahead`). */
  const codeOf = (secret: string, ahead = 0) => totpCodeOf(secret, Date.now() + ahead * STEP_MS);

  /** An account with two-step sign-in on: its secret and recovery codes. */
  async function withTwoStep() {
    const user = await signedIn();
    const setUp = await user.agent.post('/me/two-step').expect(200);
    const secret = setUp.body.secret as string;
    const confirmed = await user.agent
      .post('/me/two-step/confirm')
      .send({ code: codeOf(secret) })
      .expect(200);
    await timePasses(user.id);
    return { ...user, secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
  }

  /** POST /auth/login with the right password, in a fresh browser. */
  async function firstStep(account: { email: string }) {
    const agent = request.agent(t().http);
    const response = await agent
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD });
    return { agent, response };
  }

  describe('turning it on', () => {
    it('needs a recent sign-in', async () => {
      const { agent, id } = await signedIn();
      await sessions().updateMany(
        { userId: new Types.ObjectId(id) },
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );
      for (const [method, path] of [
        ['post', '/me/two-step'],
        ['post', '/me/two-step/confirm'],
        ['delete', '/me/two-step'],
        ['post', '/me/two-step/recovery-codes'],
      ] as const) {
        const response = await agent[method](path).send({ code: '123456' });
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
      }
      expect((await stored(id))?.twoStep).toBeUndefined();
    });

    it('gives a pending secret, stored encrypted; a second set-up replaces it', async () => {
      const { agent, id } = await signedIn();
      const first = await agent.post('/me/two-step').expect(200);
      expect(first.body).toEqual({
        secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
        otpauthUrl: expect.stringMatching(/^otpauth:\/\/totp\/.+secret=[A-Z2-7]{32}/),
        qrSvg: expect.stringMatching(/^<svg[\s\S]*<\/svg>\s*$/),
      });
      expect(first.body.otpauthUrl).toContain('algorithm=SHA1&digits=6&period=30');
      const record = await stored(id);
      expect(record?.twoStep).toMatchObject({ enabled: false, recoveryCodes: [] });
      expect(record?.twoStep.secret).toMatch(/^v1\./);
      expect(JSON.stringify(record)).not.toContain(first.body.secret);
      expect((await agent.get('/me').expect(200)).body.user.twoStep).toEqual({
        enabled: false,
        recoveryCodesLeft: 0,
      });
      const second = await agent.post('/me/two-step').expect(200);
      expect(second.body.secret).not.toBe(first.body.secret);
      const stale = await agent
        .post('/me/two-step/confirm')
        .send({ code: codeOf(first.body.secret) });
      expect(stale.status).toBe(401);
      expect(stale.body.error).toMatchObject({ code: 'WRONG_CODE', field: 'code' });
      expect((await stored(id))?.twoStep.enabled).toBe(false);
    });

    it('is confirmed by a right code only, and gives ten recovery codes stored hashed', async () => {
      const { agent, id } = await signedIn();
      const { body } = await agent.post('/me/two-step').expect(200);
      const malformed = await agent.post('/me/two-step/confirm').send({ code: '12345' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'code' });
      const right = codeOf(body.secret);
      const wrong = right === '000000' ? '111111' : '000000';
      const refused = await agent.post('/me/two-step/confirm').send({ code: wrong });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatchObject({ code: 'WRONG_CODE', field: 'code' });
      const confirmed = await agent.post('/me/two-step/confirm').send({ code: right }).expect(200);
      const codes = confirmed.body.recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      const record = await stored(id);
      expect(record?.twoStep.enabled).toBe(true);
      expect(record?.twoStep.recoveryCodes).toHaveLength(10);
      for (const hash of record?.twoStep.recoveryCodes ?? [])
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(record)).not.toContain(codes[0]);
      expect((await agent.get('/me').expect(200)).body.user.twoStep).toEqual({
        enabled: true,
        recoveryCodesLeft: 10,
      });
      const again = await agent.post('/me/two-step');
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('TWO_STEP_ALREADY_ENABLED');
      expect(await events(id, 'two_step.enabled')).toHaveLength(1);
    });
  });

  describe('signing in', () => {
    it('asks for the second factor after the right password: no session, a 5-minute HttpOnly cookie', async () => {
      const { account, id, secret } = await withTwoStep();
      const before = await sessions().countDocuments({ userId: new Types.ObjectId(id) });
      const { agent, response } = await firstStep(account);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        error: { code: 'SECOND_FACTOR_REQUIRED', message: expect.any(String) },
        methods: ['totp', 'recovery_code'],
      });
      const cookies = response.headers['set-cookie'] as unknown as string[];
      expect(cookies.some((line) => line.startsWith('sid='))).toBe(false);
      const step = cookies.find((line) => line.startsWith('sid_second_step='));
      expect(step).toMatch(/HttpOnly/);
      expect(step).toMatch(/Max-Age=300/);
      expect(step).toMatch(/SameSite=Lax/);
      expect(await sessions().countDocuments({ userId: new Types.ObjectId(id) })).toBe(before);
      await agent.get('/me').expect(401);

      const finished = await agent
        .post('/auth/second-factor')
        .send({ code: codeOf(secret) })
        .expect(200);
      // Exactly what POST /auth/login gives.
      const me = await agent.get('/me').expect(200);
      expect(finished.body).toEqual({ user: me.body.user });
      sessionCookie(finished);
      const session = await sessions().findOne(
        { userId: new Types.ObjectId(id) },
        { sort: { createdAt: -1 } },
      );
      expect(session).toMatchObject({ method: 'password', secondFactor: 'totp' });
      const listed = await agent.get('/me/sessions').expect(200);
      expect(listed.body).toContainEqual(
        expect.objectContaining({ current: true, signedInWith: 'password', secondFactor: 'totp' }),
      );
      expect(await pending().countDocuments({ userId: new Types.ObjectId(id) })).toBe(0);
      // One sign-in, one event: the password alone started no session, so it recorded none.
      const signIns = await events(id, 'sign_in.succeeded');
      expect(signIns.map(({ details }) => details as unknown)).toEqual([
        { method: 'password', secondFactor: 'totp' },
      ]);
    });

    it("counts second steps under their factor in sign_ins_total: 'totp', 'recovery_code'", async () => {
      const { account, recoveryCodes } = await withTwoStep();
      const wrong = await firstStep(account);
      const refused = await wrong.agent.post('/auth/second-factor').send({ code: '000000' });
      expect(refused.body.error.code).toBe('WRONG_CODE');
      const right = await firstStep(account);
      await right.agent
        .post('/auth/second-factor')
        .send({ recoveryCode: recoveryCodes[0] })
        .expect(200);
      const metrics = await request(t().http).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/sign_ins_total\{method="totp",outcome="failure"\} [1-9]/);
      expect(metrics.text).toMatch(
        /sign_ins_total\{method="recovery_code",outcome="success"\} [1-9]/,
      );
    });

    it('refuses a code already used (its replay), also for a new sign-in', async () => {
      const { account, secret } = await withTwoStep();
      const code = codeOf(secret);
      const first = await firstStep(account);
      await first.agent.post('/auth/second-factor').send({ code }).expect(200);
      const second = await firstStep(account);
      const replay = await second.agent.post('/auth/second-factor').send({ code });
      expect(replay.status).toBe(401);
      expect(replay.body.error).toMatchObject({ code: 'WRONG_CODE', field: 'code' });
      await second.agent.get('/me').expect(401);
    });

    it('lets one of three parallel sign-ins with the same code win', async () => {
      const { account, id, secret } = await withTwoStep();
      const code = codeOf(secret);
      const browsers = await Promise.all([
        firstStep(account),
        firstStep(account),
        firstStep(account),
      ]);
      const before = await sessions().countDocuments({ userId: new Types.ObjectId(id) });
      const answers = await Promise.all(
        browsers.map(({ agent }) => agent.post('/auth/second-factor').send({ code })),
      );
      expect(answers.map(({ status }) => status).sort()).toEqual([200, 401, 401]);
      expect(await sessions().countDocuments({ userId: new Types.ObjectId(id) })).toBe(before + 1);
    });

    it('ends the step after five wrong codes', async () => {
      const { account, secret } = await withTwoStep();
      const { agent } = await firstStep(account);
      const right = codeOf(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const response = await agent.post('/auth/second-factor').send({ code: wrong });
        expect(response.status).toBe(401);
        expect(response.body.error).toMatchObject({ code: 'WRONG_CODE', field: 'code' });
        if (attempt === 5) expect(response.body.error.message).toMatch(/sign in again/);
      }
      const late = await agent.post('/auth/second-factor').send({ code: right });
      expect(late.status).toBe(401);
      expect(late.body.error.code).toBe('SECOND_STEP_EXPIRED');
      await agent.get('/me').expect(401);
    });

    it('counts wrong codes toward the account limits, as wrong passwords', async () => {
      const { account, id, secret } = await withTwoStep();
      const { agent } = await firstStep(account);
      const right = codeOf(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      const failures = () => accountChecks(t(), id);
      await agent.post('/auth/second-factor').send({ code: wrong }).expect(401);
      await agent.post('/auth/second-factor').send({ code: wrong }).expect(401);
      expect((await failures())?.failures).toBe(2);
      await agent.post('/auth/second-factor').send({ code: right }).expect(200);
      expect((await failures())?.failures ?? 0).toBe(0);
    });

    it('expires with its cookie: an old step, or none, signs nobody in', async () => {
      const { account, id, secret } = await withTwoStep();
      const { agent } = await firstStep(account);
      await pending().updateMany(
        { userId: new Types.ObjectId(id) },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
      const late = await agent.post('/auth/second-factor').send({ code: codeOf(secret) });
      expect(late.status).toBe(401);
      expect(late.body.error.code).toBe('SECOND_STEP_EXPIRED');
      const none = await request(t().http)
        .post('/auth/second-factor')
        .send({ code: codeOf(secret) });
      expect(none.body.error.code).toBe('SECOND_STEP_EXPIRED');
      const both = await agent
        .post('/auth/second-factor')
        .send({ code: '123456', recoveryCode: 'abcde-fghjk' });
      expect(both.status).toBe(400);
      expect(both.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'code' });
    });

    it('takes a recovery code once, tells the owner how many are left, and stays on', async () => {
      const { account, id, recoveryCodes } = await withTwoStep();
      const { agent } = await firstStep(account);
      await agent
        .post('/auth/second-factor')
        .send({ recoveryCode: recoveryCodes[0].toUpperCase() })
        .expect(200);
      expect(
        await sessions().findOne({ userId: new Types.ObjectId(id) }, { sort: { createdAt: -1 } }),
      ).toMatchObject({ secondFactor: 'recovery_code' });
      expect((await agent.get('/me').expect(200)).body.user.twoStep).toEqual({
        enabled: true,
        recoveryCodesLeft: 9,
      });
      const again = await firstStep(account);
      const reused = await again.agent
        .post('/auth/second-factor')
        .send({ recoveryCode: recoveryCodes[0] });
      expect(reused.status).toBe(401);
      expect(reused.body.error).toMatchObject({ code: 'WRONG_CODE', field: 'recoveryCode' });
      const [used] = await events(id, 'recovery_code.used');
      expect(used.details).toEqual({ left: 9 });
      const notice = await mailAbout(account.email, /A recovery code was used to sign in/);
      expect(notice.text).toContain('9 codes are left');
      const webhook = await t()
        .db.collection('webhook_outbox')
        .findOne({ webhookId: `msg_${String(used._id)}` });
      expect(JSON.parse(webhook?.body as string).data.twoStep).toEqual({
        enabled: true,
        recoveryCodesLeft: 9,
      });
    });

    it('makes a new set of recovery codes: the old set stops working', async () => {
      const { agent, account, recoveryCodes } = await withTwoStep();
      const fresh = await agent.post('/me/two-step/recovery-codes').expect(200);
      expect(fresh.body.recoveryCodes).toHaveLength(10);
      const old = await firstStep(account);
      const refused = await old.agent
        .post('/auth/second-factor')
        .send({ recoveryCode: recoveryCodes[1] });
      expect(refused.body.error.code).toBe('WRONG_CODE');
      await old.agent
        .post('/auth/second-factor')
        .send({ recoveryCode: fresh.body.recoveryCodes[0] })
        .expect(200);
    });
  });

  describe('turning it off and recovery', () => {
    it('is turned off by its owner: sign-in asks no code', async () => {
      const { agent, account, id } = await withTwoStep();
      await agent.delete('/me/two-step').expect(204);
      expect((await stored(id))?.twoStep).toBeUndefined();
      expect((await firstStep(account)).response.status).toBe(200);
      const again = await agent.delete('/me/two-step');
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('TWO_STEP_NOT_ENABLED');
      expect(await events(id, 'two_step.disabled')).toHaveLength(1);
      await mailAbout(account.email, /Two-step sign-in was turned off/);
    });

    it('is not turned off by a password reset by email', async () => {
      const { account, id, secret } = await withTwoStep();
      await request(t().http)
        .post('/auth/password/forgot')
        .send({ email: account.email })
        .expect(202);
      const resetMail = await mailAbout(account.email, /Reset your password/);
      const token = tokenIn(resetMail, '/reset-password');
      await request(t().http)
        .post('/auth/password/reset')
        .send({ token, newPassword: 'a new passphrase after the reset' })
        .expect(204);
      expect((await stored(id))?.twoStep.enabled).toBe(true);
      const agent = request.agent(t().http);
      const response = await agent
        .post('/auth/login')
        .send({ login: account.email, password: 'a new passphrase after the reset' });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('SECOND_FACTOR_REQUIRED');
      await agent
        .post('/auth/second-factor')
        .send({ code: codeOf(secret) })
        .expect(200);
    });

    it('needs the code to re-authenticate', async () => {
      const { agent, secret } = await withTwoStep();
      const alone = await agent.post('/auth/reauthenticate').send({ password: GOOD_PASSWORD });
      expect(alone.status).toBe(401);
      expect(alone.body).toMatchObject({
        error: { code: 'SECOND_FACTOR_REQUIRED', field: 'code' },
        methods: ['totp', 'recovery_code'],
      });
      await agent
        .post('/auth/reauthenticate')
        .send({ password: GOOD_PASSWORD, code: codeOf(secret) })
        .expect(200);
    });

    it('needs the code on the "Confirm it\'s you" page too, which offers no provider then', async () => {
      const { agent, secret, id } = await withTwoStep();
      await sessions().updateMany(
        { userId: new Types.ObjectId(id) },
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );
      const page = await agent.get('/settings/confirm').set('Accept', 'text/html').expect(200);
      expect(page.text).toMatch(/name="code"[^>]*autocomplete="one-time-code"/);
      expect(page.text).not.toMatch(/reauth=1/);
      const _csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      const confirm = (fields: Record<string, string>) =>
        agent
          .post('/settings/confirm')
          .set('Accept', 'text/html')
          .type('form')
          .send({ _csrf, ...fields });

      const alone = await confirm({ password: GOOD_PASSWORD });
      expect(alone.status).toBe(401);
      expect(alone.text).toMatch(/give a code from your authenticator app/);
      // Still not recent: a change that needs it is refused.
      const stillStale = await agent.post('/me/two-step/recovery-codes');
      expect(stillStale.body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');

      const wrong = await confirm({ password: GOOD_PASSWORD, code: '000000' });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toMatch(/The code is incorrect/);

      const confirmed = await confirm({ password: GOOD_PASSWORD, code: codeOf(secret) });
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.location).toMatch(/\/settings$/);
      await agent.post('/me/two-step/recovery-codes').expect(200);
    });

    it("is turned off by an admin's recent session, audited and notified; not by anyone else", async () => {
      const { account, id } = await withTwoStep();
      const other = await signedIn();
      const refused = await other.agent.delete(`/admin/users/${id}/two-step`);
      expect(refused.status).toBe(403);
      const admin = await signedIn();
      await users().updateOne({ _id: new Types.ObjectId(admin.id) }, { $set: { role: 'admin' } });
      await admin.agent.delete(`/admin/users/${id}/two-step`).expect(204);
      expect((await stored(id))?.twoStep).toBeUndefined();
      const [event] = await events(id, 'two_step.disabled');
      expect(event.actor).toEqual({ kind: 'user', id: admin.id });
      expect(event.details).toEqual({ byAdmin: true });
      const notice = await mailAbout(account.email, /Two-step sign-in was turned off/);
      expect(notice.text).toMatch(/An administrator turned it off/);
      const again = await admin.agent.delete(`/admin/users/${id}/two-step`);
      expect(again.body.error.code).toBe('TWO_STEP_NOT_ENABLED');
    });
  });

  describe('with a provider', () => {
    it('takes the second step after a provider sign-in too, as JSON or in a browser', async () => {
      const google = s.world.provider('google');
      const identity = newIdentity();
      const browser = s.world.browser();
      const registered = await browser.signIn(google, identity);
      expect(registered.status).toBe(200);
      const id = registered.body.user.id as string;
      const setUp = await browser.agent.post('/me/two-step').expect(200);
      await browser.agent
        .post('/me/two-step/confirm')
        .send({ code: codeOf(setUp.body.secret) })
        .expect(200);
      await timePasses(id);

      const json = s.world.browser();
      const asked = await json.signIn(google, identity);
      expect(asked.status).toBe(401);
      expect(asked.body).toMatchObject({
        error: { code: 'SECOND_FACTOR_REQUIRED' },
        methods: ['totp', 'recovery_code'],
      });
      await json.me().expect(401);
      await json.agent
        .post('/auth/second-factor')
        .send({ code: codeOf(setUp.body.secret) })
        .expect(200);
      expect(
        await sessions().findOne({ userId: new Types.ObjectId(id) }, { sort: { createdAt: -1 } }),
      ).toMatchObject({ method: 'provider', provider: 'google', secondFactor: 'totp' });

      const page = s.world.browser();
      const redirected = await page.signIn(google, identity, 'html');
      expect(redirected.status).toBe(302);
      expect(redirected.headers.location).toMatch(/\/login\/second-factor\?returnTo=/);
      await page.me().expect(401);
      const form = await page.agent.get('/login/second-factor').set('Accept', 'text/html');
      expect(form.status).toBe(200);
      expect(form.text).toContain('name="code"');
    });
  });
});
