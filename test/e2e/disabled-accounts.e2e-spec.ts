import { Types } from 'mongoose';
import * as client from 'openid-client';
import request from 'supertest';
import type { App } from 'supertest/types';
import { GOOD_PASSWORD, login, newAccount, register } from '../support/accounts';
import { LiveApp, startLiveApp } from '../support/live-app';
import { socialWorldWithMail, SocialWorldWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import { newIdentity, SocialWorld } from '../support/social';

const NEW_PASSWORD = 'a passphrase chosen while disabled';

/** An admin's session cookie: a registered account made admin in the database. */
async function adminCookie(http: App, db: SocialWorld['t']['db']): Promise<string> {
  const { cookie, user } = await register(http);
  await db
    .collection('users')
    .updateOne({ _id: new Types.ObjectId(user.id) }, { $set: { role: 'admin' } });
  return cookie;
}

/** Disabled accounts: no sign-in of any kind, no session, until enabled again. */
describe('disabled accounts', () => {
  describe('at this service', () => {
    let world: SocialWorld;
    let mail: MailServer;
    let admin: string;
    const http = () => world.t.http;
    const users = () => world.t.db.collection('users');
    const stored = (id: string) => users().findOne({ _id: new Types.ObjectId(id) });
    const setDisabled = (id: string, disabled: boolean) =>
      request(http())
        .patch(`/admin/users/${id}`)
        .set('Cookie', admin)
        .send({ disabled })
        .expect(200);
    const passwordSignIn = (login: string, password: string) =>
      request(http()).post('/auth/login').send({ login, password });

    let fixture: SocialWorldWithMail;
    beforeAll(async () => {
      fixture = await socialWorldWithMail();
      ({ mail, world } = fixture);
      admin = await adminCookie(http(), world.t.db);
    });
    afterAll(() => fixture?.close());

    it('ends every session at once: the cookies stop working on the next request', async () => {
      const { cookie, user, account } = await register(http());
      const other = await login(http(), account.email, GOOD_PASSWORD);
      await request(http()).get('/me').set('Cookie', cookie).expect(200);

      const response = await setDisabled(user.id, true);
      expect(response.body.user.disabled).toBe(true);
      for (const each of [cookie, other]) {
        const refused = await request(http()).get('/me').set('Cookie', each).expect(401);
        expect(refused.body.error.code).toBe('UNAUTHENTICATED');
      }
      const sessions = world.t.db.collection('sessions');
      expect(await sessions.countDocuments({ userId: new Types.ObjectId(user.id) })).toBe(0);
    });

    it('refuses a session even if one slips in (the account is checked on every request)', async () => {
      const { cookie, user } = await register(http());
      // As if the sign-in had finished in the instant of the disabling.
      await users().updateOne({ _id: new Types.ObjectId(user.id) }, { $set: { disabled: true } });
      await request(http()).get('/me').set('Cookie', cookie).expect(401);
    });

    it('refuses the right password with 403 ACCOUNT_DISABLED, a wrong one as for anyone, and starts no session', async () => {
      const { user, account } = await register(http());
      await setDisabled(user.id, true);
      const before = (await stored(user.id))!.lastSignInAt as Date;

      const right = await passwordSignIn(account.email, GOOD_PASSWORD).expect(403);
      expect(right.body.error.code).toBe('ACCOUNT_DISABLED');
      expect(right.headers['set-cookie'] ?? []).not.toContainEqual(expect.stringMatching(/^sid=/));
      const wrong = await passwordSignIn(account.email, 'not the password at all').expect(401);
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
      expect((await stored(user.id))!.lastSignInAt).toEqual(before);

      // The sign-in page says so too, with the same status.
      const agent = request.agent(http());
      const page = await agent.get('/login').set('Accept', 'text/html').expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
      const form = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, login: account.email, password: GOOD_PASSWORD });
      expect(form.status).toBe(403);
      expect(form.text).toContain('This account is disabled');
    });

    it('refuses a provider sign-in, creating no account; enabling lets both ways in again', async () => {
      const google = world.provider('google');
      const identity = newIdentity();
      const first = world.browser();
      const signedUp = await first.signIn(google, identity);
      const id = signedUp.body.user.id as string;
      await first.agent.put('/me/password').send({ newPassword: GOOD_PASSWORD }).expect(204);
      await setDisabled(id, true);
      await first.me().expect(401);
      const count = await users().countDocuments();

      const refused = await world.browser().signIn(google, identity);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('ACCOUNT_DISABLED');
      const page = await world.browser().signIn(google, identity, 'html');
      expect(page.status).toBe(302);
      expect(page.headers.location).toBe('http://localhost:3000/login?error=ACCOUNT_DISABLED');
      const shown = await request(http())
        .get('/login?error=ACCOUNT_DISABLED')
        .set('Accept', 'text/html')
        .expect(200);
      expect(shown.text).toContain('This account is disabled');
      expect(await users().countDocuments()).toBe(count);

      const enabled = await setDisabled(id, false);
      expect(enabled.body.user.disabled).toBe(false);
      const again = world.browser();
      const signedIn = await again.signIn(google, identity);
      expect(signedIn.body).toMatchObject({ action: 'signed-in', user: { id } });
      await again.me().expect(200);
      await passwordSignIn(signedUp.body.user.username as string, GOOD_PASSWORD).expect(200);
    });

    it('records each sign-in (password and provider) as lastSignInAt', async () => {
      const google = world.provider('google');
      const identity = newIdentity();
      const signedUp = await world.browser().signIn(google, identity);
      const id = signedUp.body.user.id as string;
      const registeredAt = (await stored(id))!.lastSignInAt as Date;
      expect(registeredAt).toBeInstanceOf(Date);

      await users().updateOne(
        { _id: new Types.ObjectId(id) },
        { $set: { lastSignInAt: new Date('2020-01-01T00:00:00Z') } },
      );
      await world.browser().signIn(google, identity);
      const viaProvider = (await stored(id))!.lastSignInAt as Date;
      expect(Date.now() - viaProvider.getTime()).toBeLessThan(60_000);

      const { user, account } = await register(http());
      await users().updateOne(
        { _id: new Types.ObjectId(user.id) },
        { $set: { lastSignInAt: new Date('2020-01-01T00:00:00Z') } },
      );
      await login(http(), account.email, GOOD_PASSWORD);
      const viaPassword = (await stored(user.id))!.lastSignInAt as Date;
      expect(Date.now() - viaPassword.getTime()).toBeLessThan(60_000);
    });

    it('lets a disabled account reset its password by email, but not sign in until enabled', async () => {
      const { user, account } = await register(http());
      await setDisabled(user.id, true);
      await request(http())
        .post('/auth/password/forgot')
        .send({ email: account.email })
        .expect(202);
      const token = tokenIn(await mail.next(account.email, 2), '/reset-password');
      await request(http())
        .post('/auth/password/reset')
        .send({ token, newPassword: NEW_PASSWORD })
        .expect(204);

      const refused = await passwordSignIn(account.email, NEW_PASSWORD).expect(403);
      expect(refused.body.error.code).toBe('ACCOUNT_DISABLED');
      await setDisabled(user.id, false);
      await login(http(), account.email, NEW_PASSWORD);
    });
  });

  describe("at this service's OpenID provider", () => {
    const APP = {
      client_id: 'notes-app',
      client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
      redirect_uris: ['http://notes.example.test/callback'],
    };
    let live: LiveApp;
    let issuer: URL;
    let admin: string;

    beforeAll(async () => {
      live = await startLiveApp({ env: { OIDC_CLIENTS: JSON.stringify([APP]) } });
      issuer = new URL(live.url);
      admin = await adminCookie(live.url, live.t.db);
    });
    afterAll(() => live.close());

    const discover = () =>
      client.discovery(issuer, APP.client_id, APP.client_secret, undefined, {
        execute: [client.allowInsecureRequests],
      });
    const setDisabled = (id: string, disabled: boolean) =>
      request(live.url)
        .patch(`/admin/users/${id}`)
        .set('Cookie', admin)
        .send({ disabled })
        .expect(200);

    /** Follows redirects in `browser` until they leave this service (or reach /login). */
    async function follow(browser: ReturnType<typeof request.agent>, start: URL): Promise<URL> {
      let url = start;
      for (let step = 0; step < 10 && url.origin === issuer.origin; step++) {
        if (url.pathname === '/login') break;
        const response = await browser.get(url.pathname + url.search);
        const location = response.headers.location as string | undefined;
        if (!location) throw new Error(`${response.status} at ${url.pathname}: ${response.text}`);
        url = new URL(location, url);
      }
      return url;
    }

    async function authorize(config: client.Configuration) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: APP.redirect_uris[0],
        scope: 'openid email offline_access',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      return { url, checks: { pkceCodeVerifier: verifier, expectedState: state } };
    }

    it("ends the apps' tokens and codes at once, and sends the browser to a sign-in it refuses", async () => {
      const browser = request.agent(live.url);
      const account = newAccount();
      const registered = await browser.post('/auth/register').send(account).expect(201);
      const id = registered.body.user.id as string;
      const config = await discover();

      const first = await authorize(config);
      const tokens = await client.authorizationCodeGrant(
        config,
        await follow(browser, first.url),
        first.checks,
      );
      expect(tokens.refresh_token).toEqual(expect.any(String));
      // A code issued but not yet exchanged when the account is disabled.
      const second = await authorize(config);
      const pendingCode = await follow(browser, second.url);
      expect(pendingCode.searchParams.get('code')).toEqual(expect.any(String));

      await setDisabled(id, true);

      await expect(client.fetchUserInfo(config, tokens.access_token, id)).rejects.toThrow();
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      await expect(
        client.authorizationCodeGrant(config, pendingCode, second.checks),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
      const introspected = await client.tokenIntrospection(config, tokens.access_token);
      expect(introspected.active).toBe(false);

      // The browser's session is gone: the app's next request goes to /login, which refuses.
      const third = await authorize(config);
      const atLogin = await follow(browser, third.url);
      expect(atLogin.pathname).toBe('/login');
      const refused = await browser
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(403);
      expect(refused.body.error.code).toBe('ACCOUNT_DISABLED');
      const stillAtLogin = await follow(
        browser,
        new URL(atLogin.searchParams.get('returnTo')!, issuer),
      );
      expect(stillAtLogin.pathname).toBe('/login');

      // Enabled again: the same sign-in request completes and the app gets working tokens.
      await setDisabled(id, false);
      await browser
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(200);
      const callback = await follow(
        browser,
        new URL(atLogin.searchParams.get('returnTo')!, issuer),
      );
      const again = await client.authorizationCodeGrant(config, callback, third.checks);
      expect(again.claims()?.sub).toBe(id);
      await expect(client.fetchUserInfo(config, again.access_token, id)).resolves.toMatchObject({
        sub: id,
      });
    });

    it('refuses the tokens of an account disabled by hand in the database (findAccount checks)', async () => {
      const browser = request.agent(live.url);
      const registered = await browser.post('/auth/register').send(newAccount()).expect(201);
      const id = registered.body.user.id as string;
      const config = await discover();
      const { url, checks } = await authorize(config);
      const pendingCode = await follow(browser, url);
      // Not through the API, so nothing was revoked: the provider itself must refuse the account.
      await live.t.db
        .collection('users')
        .updateOne({ _id: new Types.ObjectId(id) }, { $set: { disabled: true } });
      await expect(
        client.authorizationCodeGrant(config, pendingCode, checks),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
    });
  });
});
