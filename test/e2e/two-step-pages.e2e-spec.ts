import { Types } from 'mongoose';
import request from 'supertest';
import { totpCodeOf } from '../../src/sign-in/two-step/totp';
import { GOOD_PASSWORD, newAccount } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

const STEP_MS = 30_000;
const AN_HOUR = 3600_000;

/**
 * Two-step sign-in in the pages over plain HTTP: the settings' forms (CSRF, a recent sign-in,
 * refusals shown in the page, nothing written when refused) and the second step's page.
 */
describe('two-step sign-in in the pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const users = () => t.db.collection('users');
  const sessions = () => t.db.collection('sessions');
  const stored = async (id: Types.ObjectId) => (await users().findOne({ _id: id }))!;

  type Agent = ReturnType<typeof request.agent>;

  /** Where a redirect leads, as a path of the service. */
  function at(response: request.Response): string {
    const url = new URL(response.headers.location);
    return `${url.pathname}${url.search}`;
  }

  async function page(agent: Agent, path: string, status = 200) {
    return agent.get(path).set('Accept', 'text/html').expect(status);
  }

  function csrfIn(html: string): string {
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error('no CSRF token in the page');
    return token;
  }

  /** A form post from a page of the service, with the token the page holds; `status` expected. */
  async function post(
    agent: Agent,
    path: string,
    fields: Record<string, string> = {},
    status?: number,
  ) {
    const token = csrfIn((await page(agent, '/settings')).text);
    const response = await agent
      .post(path)
      .set('Accept', 'text/html')
      .type('form')
      .send({ _csrf: token, ...fields });
    if (status !== undefined) expect([path, response.status]).toEqual([path, status]);
    return response;
  }

  /** A person signed in through the register page, in a browser-like agent. */
  async function signedIn() {
    const agent = request.agent(t.http);
    const account = newAccount();
    const token = csrfIn((await page(agent, '/register')).text);
    await agent
      .post('/register')
      .type('form')
      .send({ _csrf: token, ...account, passwordConfirm: account.password })
      .expect(303);
    const { _id } = (await users().findOne({ email: account.email }))!;
    return { agent, account, id: _id };
  }

  /** The secret shown by the set-up page, without the spaces between its groups. */
  function secretIn(html: string): string {
    const grouped = /id="two-step-secret">([A-Z2-7 ]+)</.exec(html)?.[1];
    if (!grouped) throw new Error('no secret on the set-up page');
    return grouped.replace(/ /g, '');
  }

  /** An account with two-step sign-in turned on from the settings: its secret and codes. */
  async function withTwoStep() {
    const person = await signedIn();
    await post(person.agent, '/settings/two-step', {}, 303);
    const secret = secretIn((await page(person.agent, '/settings/two-step')).text);
    const shown = await post(
      person.agent,
      '/settings/two-step/confirm',
      {
        code: totpCodeOf(secret),
      },
      200,
    );
    const recoveryCodes = [...shown.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map(
      ([, code]) => code,
    );
    // The confirming code's step is spent: the next code is another step's.
    await users().updateOne({ _id: person.id }, { $unset: { 'twoStep.lastStep': 1 } });
    return { ...person, secret, recoveryCodes };
  }

  /** Every sign-in of the account is an hour old: changes ask to confirm it's you. */
  async function ageSignIns(id: Types.ObjectId) {
    const { modifiedCount } = await sessions().updateMany(
      { userId: id },
      { $set: { authenticatedAt: new Date(Date.now() - AN_HOUR) } },
    );
    expect(modifiedCount).toBeGreaterThan(0);
  }

  describe('settings', () => {
    it('turns it on: the set-up page, a wrong code under its field, then the codes shown once', async () => {
      const { agent, id } = await signedIn();
      const settings = await page(agent, '/settings');
      expect(settings.text).toContain('<h2 id="two-step-heading">Two-step sign-in</h2>');
      expect(settings.text).toContain('Turn on two-step sign-in');

      const turnOn = await post(agent, '/settings/two-step', {}, 303);
      expect(at(turnOn)).toBe('/settings/two-step');
      const setUp = await page(agent, '/settings/two-step');
      const secret = secretIn(setUp.text);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      // The QR code is inline SVG with shapes only; the page runs no script of its own.
      expect(setUp.text).toMatch(/<div class="qr-code" role="img" aria-label="[^"]+"><svg /);
      expect(setUp.text).not.toMatch(/<script(?![^>]*src="\/assets\/passkeys\.js")/);
      expect(setUp.text).not.toMatch(/\son[a-z]+\s*=/i);
      expect(setUp.text).toMatch(
        /id="code" name="code" type="text" autocomplete="one-time-code"[^>]*inputmode="numeric"[^>]*autofocus/,
      );
      // The otpauth:// link, for the app on this phone (Handlebars writes '=' as an entity).
      expect(setUp.text.replace(/&#x3D;/g, '=')).toContain(`secret=${secret}&`);
      // A reload shows the same pending set-up, not a new secret.
      expect(secretIn((await page(agent, '/settings/two-step')).text)).toBe(secret);

      const malformed = await post(agent, '/settings/two-step/confirm', { code: '12 34' });
      expect(malformed.status).toBe(400);
      expect(malformed.text).toContain(
        '<p class="field-error" id="code-error">Code must be the 6 digits your authenticator app shows.</p>',
      );
      const right = totpCodeOf(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      const refused = await post(agent, '/settings/two-step/confirm', { code: wrong });
      expect(refused.status).toBe(401);
      expect(refused.text).toContain(
        '<p class="field-error" id="code-error">The code is incorrect or was already used.</p>',
      );
      expect(secretIn(refused.text)).toBe(secret);
      expect((await stored(id)).twoStep.enabled).toBe(false);

      const shown = await post(agent, '/settings/two-step/confirm', { code: ` ${right} ` }, 200);
      // Shown once: no cache, shared or the browser's own, keeps the answer.
      expect(shown.headers['cache-control']).toBe('no-store');
      expect(shown.text).toContain('<h1>Two-step sign-in is on</h1>');
      const codes = [...shown.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map(
        ([, code]) => code,
      );
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      const record = await stored(id);
      expect(record.twoStep).toMatchObject({ enabled: true });
      expect(record.twoStep.recoveryCodes).toHaveLength(10);
      expect(JSON.stringify(record)).not.toContain(codes[0]);

      // Never again: the settings say how many are left, and the set-up page is gone.
      const after = await page(agent, '/settings');
      expect(after.text).toContain('You have <strong>10</strong> of your recovery codes left.');
      for (const code of codes) expect(after.text).not.toContain(code);
      const gone = await page(agent, '/settings/two-step', 303);
      expect(at(gone)).toBe('/settings');
    });

    it('makes new recovery codes in place of the old ones, and turns it off after asking', async () => {
      const { agent, id, recoveryCodes } = await withTwoStep();
      const renewed = await post(agent, '/settings/two-step/recovery-codes', {}, 200);
      expect(renewed.text).toContain('<h1>Your new recovery codes</h1>');
      expect(renewed.headers['cache-control']).toBe('no-store');
      const fresh = [...renewed.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)];
      expect(fresh).toHaveLength(10);
      expect(fresh.map(([, code]) => code)).not.toContain(recoveryCodes[0]);

      const asks = await page(agent, '/settings/two-step/turn-off');
      expect(asks.text).toContain('<h1>Turn off two-step sign-in?</h1>');
      expect((await stored(id)).twoStep.enabled).toBe(true);
      const off = await post(agent, '/settings/two-step/turn-off', {}, 303);
      expect(at(off)).toBe('/settings');
      expect((await stored(id)).twoStep).toBeUndefined();
      expect((await page(agent, '/settings')).text).toContain(
        'Two-step sign-in is off: signing in asks for no code now',
      );
      // Off already: the question page leads back to the settings.
      const none = await page(agent, '/settings/two-step/turn-off', 303);
      expect(at(none)).toBe('/settings');
    });

    it('refuses each form without its CSRF token, and changes nothing', async () => {
      const { agent, id, secret } = await withTwoStep();
      const before = await stored(id);
      for (const path of [
        '/settings/two-step',
        '/settings/two-step/confirm',
        '/settings/two-step/recovery-codes',
        '/settings/two-step/turn-off',
      ]) {
        const response = await agent
          .post(path)
          .set('Accept', 'text/html')
          .type('form')
          .send({ code: totpCodeOf(secret, Date.now() + STEP_MS) });
        expect([path, response.status]).toEqual([path, 403]);
        expect(response.text).toContain('This form has expired or did not come from this site');
      }
      expect((await stored(id)).twoStep).toEqual(before.twoStep);
    });

    it("asks to confirm it's you before each change when the sign-in is old, and changes nothing", async () => {
      const off = await signedIn();
      await ageSignIns(off.id);
      const asked = await post(off.agent, '/settings/two-step');
      expect(asked.status).toBe(401);
      expect(asked.text).toContain("<h1>Confirm it's you</h1>");
      expect((await stored(off.id)).twoStep).toBeUndefined();

      const on = await withTwoStep();
      const before = await stored(on.id);
      await ageSignIns(on.id);
      for (const path of [
        '/settings/two-step',
        '/settings/two-step/recovery-codes',
        '/settings/two-step/turn-off',
      ]) {
        const response = await post(on.agent, path);
        expect([path, response.status]).toEqual([path, 401]);
        expect(response.text).toContain("<h1>Confirm it's you</h1>");
        // With two-step on, confirming takes a code too.
        expect(response.text).toContain('autocomplete="one-time-code"');
      }
      for (const path of ['/settings/two-step', '/settings/two-step/turn-off']) {
        const shown = await page(on.agent, path, 401);
        expect(shown.text).toContain("<h1>Confirm it's you</h1>");
      }
      expect((await stored(on.id)).twoStep).toEqual(before.twoStep);
    });

    it('shows a change that does not apply in the two-step section, with its status', async () => {
      const { agent, id } = await signedIn();
      const notOn = await post(agent, '/settings/two-step/turn-off');
      expect(notOn.status).toBe(409);
      expect(notOn.text).toMatch(
        /two-step-heading[\s\S]*<p class="alert" role="alert">Two-step sign-in is not on for your account.<\/p>/,
      );
      const noCodes = await post(agent, '/settings/two-step/recovery-codes');
      expect(noCodes.status).toBe(409);
      const nothingPending = await post(agent, '/settings/two-step/confirm', { code: '123456' });
      expect(nothingPending.status).toBe(409);
      expect(nothingPending.text).toContain('There is no set-up waiting for a code any more');
      expect((await stored(id)).twoStep).toBeUndefined();

      const on = await withTwoStep();
      const again = await post(on.agent, '/settings/two-step');
      expect(again.status).toBe(409);
      expect(again.text).toContain('Two-step sign-in is already on.');
      expect((await stored(on.id)).twoStep.enabled).toBe(true);
    });
  });

  describe('the second step page', () => {
    /** The password form of /login, in a fresh browser: on to the second step. */
    async function firstStep(email: string, returnTo?: string) {
      const agent = request.agent(t.http);
      const token = csrfIn((await page(agent, '/login')).text);
      const response = await agent
        .post('/login')
        .type('form')
        .send({
          _csrf: token,
          login: email,
          password: GOOD_PASSWORD,
          ...(returnTo && { returnTo }),
        })
        .expect(303);
      return { agent, location: response.headers.location };
    }

    async function submit(agent: Agent, fields: Record<string, string>) {
      const form = await page(agent, '/login/second-factor');
      return agent
        .post('/login/second-factor')
        .set('Accept', 'text/html')
        .type('form')
        .send({ _csrf: csrfIn(form.text), ...fields });
    }

    it('asks for the code with a field ready for it, and signs in', async () => {
      const { account, secret } = await withTwoStep();
      const { agent, location } = await firstStep(account.email);
      expect(new URL(location).pathname).toBe('/login/second-factor');
      const form = await page(agent, '/login/second-factor');
      expect(form.text).toMatch(
        /id="code" name="code" type="text" autocomplete="one-time-code"[^>]*inputmode="numeric"[^>]*autofocus/,
      );
      expect(form.text).toMatch(/id="recoveryCode"[^>]*autocomplete="off"(?![^>]*autofocus)/);

      const right = totpCodeOf(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      const refused = await submit(agent, { code: wrong });
      expect(refused.status).toBe(401);
      expect(refused.text).toContain(
        'The code is incorrect or was already used. 4 tries are left.',
      );
      await agent.get('/me').expect(401);
      // A refused recovery code puts the cursor back in its own field.
      const badRecovery = await submit(agent, { recoveryCode: 'aaaaa-bbbbb' });
      expect(badRecovery.status).toBe(401);
      expect(badRecovery.text).toMatch(/id="recoveryCode"[^>]*autofocus/);

      // As an app shows it, in two groups.
      const done = await submit(agent, { code: `${right.slice(0, 3)} ${right.slice(3)}` });
      expect(done.status).toBe(303);
      expect(at(done)).toBe('/');
      await agent.get('/me').expect(200);
    });

    it('sends a step that expired back to the sign-in page, saying to start again', async () => {
      const { account, id } = await withTwoStep();
      const returnTo = `${t.config.publicUrl}/settings`;
      const { agent, location } = await firstStep(account.email, returnTo);
      const asked = new URL(location);
      await t.db
        .collection('second_steps')
        .updateMany({ userId: id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      const expired = await page(agent, `${asked.pathname}${asked.search}`, 303);
      const back = new URL(expired.headers.location);
      expect(back.pathname).toBe('/login');
      expect(back.searchParams.get('error')).toBe('SECOND_STEP_EXPIRED');
      expect(back.searchParams.get('returnTo')).toBe(returnTo);
      const login = await page(agent, `${back.pathname}${back.search}`);
      expect(login.text).toContain(
        'Your sign-in stopped waiting for a code: it lasts 5 minutes, and ends after 5 wrong codes. Please start again',
      );

      // A browser that never started one is simply sent to sign in.
      const stranger = await page(request.agent(t.http), '/login/second-factor', 303);
      expect(at(stranger)).toBe('/login');
    });

    it('starts again after the fifth wrong code', async () => {
      const { account, secret } = await withTwoStep();
      const { agent } = await firstStep(account.email);
      const right = totpCodeOf(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      const token = csrfIn((await page(agent, '/login/second-factor')).text);
      const answers = [];
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        answers.push(
          await agent
            .post('/login/second-factor')
            .set('Accept', 'text/html')
            .type('form')
            .send({ _csrf: token, code: wrong }),
        );
      }
      expect(answers.map(({ status }) => status)).toEqual([401, 401, 401, 401, 303]);
      expect(at(answers[4])).toBe('/login?error=SECOND_STEP_EXPIRED');
      const late = await agent
        .post('/login/second-factor')
        .set('Accept', 'text/html')
        .type('form')
        .send({ _csrf: token, code: right });
      expect(late.status).toBe(303);
      await agent.get('/me').expect(401);
    });

    it('refuses the form without its CSRF token, and signs nobody in', async () => {
      const { account, secret } = await withTwoStep();
      const { agent } = await firstStep(account.email);
      const response = await agent
        .post('/login/second-factor')
        .set('Accept', 'text/html')
        .type('form')
        .send({ code: totpCodeOf(secret) });
      expect(response.status).toBe(403);
      await agent.get('/me').expect(401);
      // The step still waits for its code.
      await page(agent, '/login/second-factor');
    });
  });
});
