import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, login, register, sessionCookie } from '../support/accounts';
import {
  Browser,
  newIdentity,
  SocialWorld,
  startSocialWorld,
  storedIdentities,
} from '../support/social';

const NEW_PASSWORD = 'a whole new passphrase, longer';

/**
 * An attacker with a stolen session cookie, but not the password nor the victim's providers, must
 * not be able to add or remove a way into the account, nor change what is typed to sign in.
 */
describe('re-authentication for changes to how an account is entered', () => {
  let world: SocialWorld;
  const users = () => world.t.db.collection('users');
  const sessions = () => world.t.db.collection('sessions');
  const stored = (id: string) => users().findOne({ _id: new Types.ObjectId(id) });

  beforeAll(async () => {
    world = await startSocialWorld();
  });
  afterAll(() => world.close());

  /** Time passes: the account's sign-ins are no longer recent. */
  const age = (userId: string) =>
    sessions().updateMany(
      { userId: new Types.ObjectId(userId) },
      { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
    );

  /** A password account signed in in a browser, whose sign-in has become old. */
  async function staleVictim() {
    const { account, user } = await register(world.t.http);
    const browser = world.browser();
    await browser.agent
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(200);
    await age(user.id);
    return { browser, user, account };
  }

  describe('with a stolen, old session', () => {
    it.each([
      ['link a provider', (b: Browser) => b.agent.post('/me/connections/google')],
      ['remove the password', (b: Browser) => b.agent.delete('/me/password')],
      [
        'change the password',
        (b: Browser) =>
          b.agent
            .put('/me/password')
            .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD }),
      ],
      ['change the email', (b: Browser) => b.agent.patch('/me').send({ email: 'thief@evil.test' })],
      ['change the username', (b: Browser) => b.agent.patch('/me').send({ username: 'thief' })],
      [
        'delete the account',
        (b: Browser) => b.agent.delete('/me').send({ password: GOOD_PASSWORD }),
      ],
    ])('cannot %s: 401 RECENT_SIGN_IN_REQUIRED, nothing changes', async (_what, attempt) => {
      const { browser, user } = await staleVictim();
      const before = await stored(user.id);
      const response = await attempt(browser);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
      expect(await stored(user.id)).toEqual(before);
      expect(
        await world.t.db.collection('sign_in_flows').countDocuments({ userId: before?._id }),
      ).toBe(0);
    });

    it('can still change the name, which is not a way in', async () => {
      const { browser, user } = await staleVictim();
      await browser.agent.patch('/me').send({ name: 'Renamed' }).expect(200);
      expect((await stored(user.id))?.name).toBe('Renamed');
      await browser.agent.patch('/me').send({ name: null }).expect(200);
      expect(await stored(user.id)).not.toHaveProperty('name');
    });

    it('cannot take the account over by linking its own Google through GET /auth/google', async () => {
      const { browser, user } = await staleVictim();
      const attackerIdentity = newIdentity();
      // GET /auth/{key} only ever signs in: the attacker's Google gets an account of its own.
      const response = await browser.signIn(world.provider('google'), attackerIdentity);
      expect(response.body.action).toBe('registered');
      expect(response.body.user.id).not.toBe(user.id);
      expect(storedIdentities((await stored(user.id)) as never)).toEqual({});
    });
  });

  describe('POST /auth/reauthenticate', () => {
    it('refuses a wrong password with 401 WRONG_PASSWORD and leaves the session old', async () => {
      const { browser } = await staleVictim();
      const response = await browser.agent
        .post('/auth/reauthenticate')
        .send({ password: 'not the password at all' })
        .expect(401);
      expect(response.body.error).toMatchObject({ code: 'WRONG_PASSWORD', field: 'password' });
      await browser.agent.delete('/me/password').expect(401);
    });

    it('makes the session recent under a new cookie; the replaced one stops at once', async () => {
      const { browser, user } = await staleVictim();
      const oldCookie = (await browser.agent.get('/me').expect(200)).request.cookies;
      await request(world.t.http).get('/me').set('Cookie', oldCookie).expect(200);
      const response = await browser.agent
        .post('/auth/reauthenticate')
        .send({ password: GOOD_PASSWORD })
        .expect(200);
      expect(response.body.user.id).toBe(user.id);
      expect(new Date(response.body.recentSignInUntil).getTime()).toBeGreaterThan(Date.now());
      const fresh = sessionCookie(response);
      expect(oldCookie).toBeTruthy();
      expect(fresh).not.toBe(oldCookie);

      // Whoever held the replaced cookie before the confirmation is out, not even for a moment.
      await request(world.t.http).get('/me').set('Cookie', oldCookie).expect(401);
      const stale = await request(world.t.http)
        .patch('/me')
        .set('Cookie', oldCookie)
        .send({ username: `r${Date.now()}` })
        .expect(401);
      expect(stale.body.error.code).toBe('UNAUTHENTICATED');

      const changed = await browser.agent.patch('/me').send({ username: `r${Date.now()}` });
      expect(changed.status).toBe(200);
    });

    it('needs a session', async () => {
      await request(world.t.http)
        .post('/auth/reauthenticate')
        .send({ password: GOOD_PASSWORD })
        .expect(401);
    });
  });

  describe('re-authenticating with a provider (?reauth=1)', () => {
    async function staleSocialAccount() {
      const browser = world.browser();
      const identity = newIdentity();
      const signedUp = await browser.signIn(world.provider('okta'), identity);
      expect(signedUp.body.action).toBe('registered');
      const userId = signedUp.body.user.id as string;
      await age(userId);
      return { browser, identity, userId };
    }

    it('confirms the person with a provider linked to the account', async () => {
      const { browser, identity, userId } = await staleSocialAccount();
      await browser.agent.put('/me/password').send({ newPassword: NEW_PASSWORD }).expect(401);
      const response = await browser.reauthenticate(world.provider('okta'), identity);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ action: 'reauthenticated', user: { id: userId } });
      await browser.agent.put('/me/password').send({ newPassword: NEW_PASSWORD }).expect(204);
    });

    it('refuses a provider account that is not linked to it (IDENTITY_MISMATCH)', async () => {
      const { browser, userId } = await staleSocialAccount();
      const response = await browser.reauthenticate(world.provider('okta'), newIdentity());
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('IDENTITY_MISMATCH');
      await browser.me().expect(200);
      await browser.agent.delete(`/me/connections/okta`).expect(401);
      expect(Object.keys(storedIdentities((await stored(userId)) as never))).toEqual(['okta']);
    });
  });

  describe('sessions after a change', () => {
    it('changing the password gives this browser a new cookie, ends the others, and parallel requests from this browser get 200 or 401, never an error', async () => {
      const { cookie, account, user } = await register(world.t.http);
      const otherDevice = await login(world.t.http, account.email, GOOD_PASSWORD);
      const browser = new Browser(world.t.http);
      browser.agent.jar.setCookie(`${cookie}; Path=/`);

      const [changed, ...parallel] = await Promise.all([
        browser.agent
          .put('/me/password')
          .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD }),
        ...Array.from({ length: 5 }, (_, i) => browser.agent.patch('/me').send({ name: `N${i}` })),
        ...Array.from({ length: 5 }, () => browser.agent.get('/me')),
      ]);
      expect(changed.status).toBe(204);
      expect(sessionCookie(changed)).not.toBe(cookie);
      // Those that arrived after the change carried the replaced cookie, which stopped at once.
      for (const { status } of parallel) expect([200, 401]).toContain(status);
      browser.agent.jar.setCookie(`${sessionCookie(changed)}; Path=/`);
      await browser.me().expect(200);
      await request(world.t.http).get('/me').set('Cookie', cookie).expect(401);
      await request(world.t.http).get('/me').set('Cookie', otherDevice).expect(401);
      expect(await sessions().countDocuments({ userId: new Types.ObjectId(user.id) })).toBe(1);
    });

    it('unlinking a provider ends the other sessions that signed in through it (or may have), and no others', async () => {
      const browser = world.browser();
      const google = newIdentity();
      const signedUp = await browser.signIn(world.provider('google'), google);
      const userId = signedUp.body.user.id as string;
      await browser.link(world.provider('github'), newIdentity());
      await browser.agent.put('/me/password').send({ newPassword: GOOD_PASSWORD }).expect(204);
      const username = (await browser.me()).body.user.username as string;

      const viaGoogle = world.browser();
      expect((await viaGoogle.signIn(world.provider('google'), google)).body.user.id).toBe(userId);
      const viaPassword = await login(world.t.http, username, GOOD_PASSWORD);
      // A session from before sign-in methods were recorded: it may have come through Google.
      const fromBefore = await login(world.t.http, username, GOOD_PASSWORD);
      const [latest] = await sessions()
        .find({ userId: new Types.ObjectId(userId) })
        .sort({ createdAt: -1 })
        .limit(1)
        .toArray();
      await sessions().updateOne({ _id: latest._id }, { $unset: { method: '', provider: '' } });

      await browser.agent.delete('/me/connections/google').expect(204);
      await viaGoogle.me().expect(401);
      await request(world.t.http).get('/me').set('Cookie', fromBefore).expect(401);
      await request(world.t.http).get('/me').set('Cookie', viaPassword).expect(200);
      await browser.me().expect(200);

      await browser.agent.delete('/me/password').expect(204);
      await request(world.t.http).get('/me').set('Cookie', viaPassword).expect(401);
      await browser.me().expect(200);
    });
  });

  describe('the replaced cookie after a security event', () => {
    /** The cookies this browser sends now, as a Cookie header. */
    const cookiesOf = async (browser: Browser) =>
      (await browser.agent.get('/me').expect(200)).request.cookies;

    /** Signed in with the password, just now. */
    async function passwordBrowser() {
      const { account } = await register(world.t.http);
      const browser = world.browser();
      await browser.agent
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(200);
      return { browser, identity: newIdentity() };
    }

    /** Signed up with Okta, just now: no password. */
    async function providerBrowser() {
      const browser = world.browser();
      const identity = newIdentity();
      expect((await browser.signIn(world.provider('okta'), identity)).body.action).toBe(
        'registered',
      );
      return { browser, identity };
    }

    /** Signed up with Okta, and a password set since. */
    async function providerAndPasswordBrowser() {
      const signedUp = await providerBrowser();
      await signedUp.browser.agent
        .put('/me/password')
        .send({ newPassword: GOOD_PASSWORD })
        .expect(204);
      return signedUp;
    }

    /** A form of the settings pages, posted with its CSRF token. */
    async function postForm(browser: Browser, path: string, fields: Record<string, string> = {}) {
      const page = await browser.agent.get('/settings').set('Accept', 'text/html').expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      return browser.agent
        .post(path)
        .set('Accept', 'text/html')
        .type('form')
        .send({ _csrf: csrf, ...fields })
        .expect(303);
    }

    type Setup = () => Promise<{ browser: Browser; identity: ReturnType<typeof newIdentity> }>;
    it.each<[string, Setup, (b: Browser, identity: ReturnType<typeof newIdentity>) => unknown]>([
      [
        'PUT /me/password (changed)',
        passwordBrowser,
        (b) =>
          b.agent
            .put('/me/password')
            .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD })
            .expect(204),
      ],
      [
        'PUT /me/password (a first one set)',
        providerBrowser,
        (b) => b.agent.put('/me/password').send({ newPassword: NEW_PASSWORD }).expect(204),
      ],
      [
        'DELETE /me/password',
        providerAndPasswordBrowser,
        (b) => b.agent.delete('/me/password').expect(204),
      ],
      [
        'POST /auth/reauthenticate',
        passwordBrowser,
        (b) => b.agent.post('/auth/reauthenticate').send({ password: GOOD_PASSWORD }).expect(200),
      ],
      [
        'GET /auth/{key}?reauth=1',
        providerBrowser,
        async (b, identity) =>
          expect((await b.reauthenticate(world.provider('okta'), identity)).status).toBe(200),
      ],
      [
        'the settings page’s password form (changed)',
        passwordBrowser,
        (b) =>
          postForm(b, '/settings/password', {
            currentPassword: GOOD_PASSWORD,
            newPassword: NEW_PASSWORD,
            newPasswordConfirm: NEW_PASSWORD,
          }),
      ],
      [
        'the settings page’s "Remove the password"',
        providerAndPasswordBrowser,
        (b) => postForm(b, '/settings/password/remove'),
      ],
      [
        'the settings page’s "Confirm it’s you"',
        passwordBrowser,
        (b) => postForm(b, '/settings/confirm', { password: GOOD_PASSWORD }),
      ],
    ])(
      '%s: the replaced cookie is refused at once, the new one works',
      async (_what, setup, event) => {
        const { browser, identity } = await setup();
        const before = await cookiesOf(browser);
        await event(browser, identity);

        const after = await cookiesOf(browser);
        expect(after).not.toBe(before);
        const refused = await request(world.t.http).get('/me').set('Cookie', before).expect(401);
        expect(refused.body.error.code).toBe('UNAUTHENTICATED');
        await request(world.t.http).get('/me').set('Cookie', after).expect(200);
      },
    );
  });

  describe('linking', () => {
    it('starts only with a POST, and completes only in the session that started it', async () => {
      const browser = world.browser();
      const signedUp = await browser.signIn(world.provider('google'), newIdentity());
      const userId = signedUp.body.user.id as string;
      const username = signedUp.body.user.username as string;
      await browser.agent.put('/me/password').send({ newPassword: GOOD_PASSWORD }).expect(204);

      const github = world.provider('github');
      github.prepare(newIdentity());
      const { signInAtProvider } = await import('../support/providers');
      const callback = new URL(await signInAtProvider(await browser.startLink(github)));
      // Same browser, same account, but another session by the time the provider answers.
      await browser.agent.post('/auth/logout').expect(204);
      await browser.agent.post('/auth/login').send({ login: username, password: GOOD_PASSWORD });
      const response = await browser.callback(callback);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('SIGN_IN_CHANGED');
      expect(Object.keys(storedIdentities((await stored(userId)) as never))).toEqual(['google']);
    });
  });
});
