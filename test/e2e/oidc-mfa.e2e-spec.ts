import { Types } from 'mongoose';
import * as client from 'openid-client';
import request from 'supertest';
import { totpCodeOf } from '../../src/sign-in/two-step/totp';
import { GOOD_PASSWORD } from '../support/accounts';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, formToken, oidcBrowsing } from '../support/oidc-browser';
import { SoftAuthenticator } from '../support/webauthn';

const APP = {
  client_id: 'ledger',
  client_secret: 'a-secret-of-the-ledger-app-that-is-long-enough',
  redirect_uris: ['http://ledger.example.test/callback'],
};

/**
 * What the apps learn of how someone signed in (amr and acr in ID tokens, RFC 8176), and an app
 * asking for two factors (acr_values=mfa), with openid-client as the app, over HTTP.
 */
describe('OpenID provider: two factors (amr, acr, acr_values=mfa)', () => {
  let live: LiveApp;
  const users = () => live.t.db.collection('users');
  const sessions = () => live.t.db.collection('sessions');

  beforeAll(async () => {
    live = await startLiveApp({ env: { OIDC_CLIENTS: JSON.stringify([APP]) } });
  });
  afterAll(() => live?.close());

  const oidc = oidcBrowsing(() => live.url);
  const discover = () => oidc.discover(APP.client_id, APP.client_secret);
  const { follow, returnToOf } = oidc;

  /** The app's authorization request (code + PKCE), with `extra` parameters. */
  async function authorize(extra: Record<string, string> = {}, scope = 'openid email') {
    const config = await discover();
    const asked = await oidc.authorize(config, APP.redirect_uris[0], { scope, ...extra });
    /** The app redeems the code its callback got. */
    const redeem = (callback: URL) => oidc.redeem(config, callback, asked);
    return { config, url: asked.url, redeem };
  }

  /** The last code's time step is long gone: the next code is a fresh one. */
  const timePasses = (id: string) =>
    users().updateOne({ _id: new Types.ObjectId(id) }, { $unset: { 'twoStep.lastStep': 1 } });

  /** A member who turned two-step sign-in on (their session still of one factor). */
  async function withTwoStep() {
    const someone = await oidc.signedInBrowser();
    const setUp = await someone.browser.post('/me/two-step').expect(200);
    const secret = setUp.body.secret as string;
    const confirmed = await someone.browser
      .post('/me/two-step/confirm')
      .send({ code: totpCodeOf(secret) })
      .expect(200);
    await timePasses(someone.userId);
    return { ...someone, secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
  }

  /** A member with a passkey (on their own software authenticator). */
  async function withPasskey({ synced = false } = {}) {
    const someone = await oidc.signedInBrowser();
    const authenticator = new SoftAuthenticator(live.url);
    authenticator.synced = synced;
    const options = await someone.browser.post('/me/passkeys/options').expect(200);
    const added = await someone.browser
      .post('/me/passkeys')
      .send({ response: authenticator.create(options.body) })
      .expect(201);
    return { ...someone, authenticator, passkeyId: added.body.passkey.id as string };
  }

  /** Signs `browser` in with the authenticator's passkey (POST /auth/passkey). */
  async function passkeySignIn(browser: Browser, authenticator: SoftAuthenticator) {
    const options = await browser.post('/auth/passkey/options').expect(200);
    return browser
      .post('/auth/passkey')
      .send({ response: authenticator.get(options.body) })
      .expect(200);
  }

  /** The form token of the page at `url`. */
  async function formTokenAt(browser: Browser, url: URL): Promise<string> {
    const page = await browser.get(url.pathname + url.search).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    return formToken(page.text);
  }

  it('publishes the acr it gives (mfa), and amr and acr among its claims', async () => {
    const metadata = (await discover()).serverMetadata();
    expect(metadata.acr_values_supported).toEqual(['mfa']);
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['amr', 'acr']));
  });

  it('a password sign-in: amr ["pwd"] and no acr', async () => {
    const { browser } = await oidc.signedInBrowser();
    const { url, redeem } = await authorize();
    const claims = (await redeem(await follow(browser, url))).claims()!;
    expect(claims.amr).toEqual(['pwd']);
    expect(claims).not.toHaveProperty('acr');
  });

  it("a password and TOTP sign-in through the provider's interaction, on the pages: amr [pwd, otp, mfa], acr mfa, kept by the refresh token", async () => {
    const { account, secret } = await withTwoStep();
    const browser = request.agent(live.url);
    const { config, url, redeem } = await authorize({}, 'openid email offline_access');
    const atLogin = await follow(browser, url);
    expect(atLogin.pathname).toBe('/login');
    const returnTo = atLogin.searchParams.get('returnTo')!;
    expect(returnTo).toMatch(/^\/oauth2\/interaction\/[\w-]+$/);

    // The sign-in page as the interaction asks: the right password leads to the second step.
    // (The form's token first: the agent attaches its cookies when a request is made.)
    const loginToken = await formTokenAt(browser, atLogin);
    const signIn = await browser
      .post('/login')
      .type('form')
      .send({ _csrf: loginToken, login: account.email, password: GOOD_PASSWORD, returnTo });
    expect(signIn.status).toBe(303);
    const secondStep = new URL(signIn.headers.location, oidc.issuer());
    expect(secondStep.pathname).toBe('/login/second-factor');
    expect(returnToOf(secondStep).pathname).toBe(returnTo);
    // No session yet: the app gets nothing from a password alone.
    await browser.get('/me').expect(401);

    const stepToken = await formTokenAt(browser, secondStep);
    const answered = await browser
      .post('/login/second-factor')
      .type('form')
      .send({ _csrf: stepToken, code: totpCodeOf(secret), returnTo });
    expect(answered.status).toBe(303);
    const back = new URL(answered.headers.location, oidc.issuer());
    expect(back.pathname).toBe(returnTo);

    const callback = await follow(browser, back);
    expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
    const tokens = await redeem(callback);
    expect(tokens.claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'mfa' });

    // A refresh token's ID token tells the sign-in it came from.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'mfa' });
  });

  it('a password and recovery code sign-in counts as a one-time password too: amr [pwd, otp, mfa]', async () => {
    const { account, recoveryCodes } = await withTwoStep();
    const browser = request.agent(live.url);
    await browser
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(401);
    await browser.post('/auth/second-factor').send({ recoveryCode: recoveryCodes[0] }).expect(200);
    const { url, redeem } = await authorize();
    expect((await redeem(await follow(browser, url))).claims()).toMatchObject({
      amr: ['pwd', 'otp', 'mfa'],
      acr: 'mfa',
    });
  });

  it('a passkey sign-in: amr [hwk, user, mfa] for a device-bound passkey, [swk, user, mfa] for a synced one', async () => {
    for (const [synced, kind] of [
      [false, 'hwk'],
      [true, 'swk'],
    ] as const) {
      const { authenticator, passkeyId, userId: id } = await withPasskey({ synced });
      const browser = request.agent(live.url);
      const { url, redeem } = await authorize();
      const atLogin = await follow(browser, url);
      expect(atLogin.pathname).toBe('/login');
      await passkeySignIn(browser, authenticator);
      expect(
        await sessions().findOne({ userId: new Types.ObjectId(id), method: 'passkey' }),
      ).toMatchObject({ passkey: passkeyId, passkeyBackedUp: synced });
      const claims = (await redeem(await oidc.returnFrom(browser, atLogin))).claims()!;
      expect({ synced, amr: claims.amr, acr: claims.acr }).toEqual({
        synced,
        amr: [kind, 'user', 'mfa'],
        acr: 'mfa',
      });
    }
  });

  describe('acr_values=mfa', () => {
    it('asks a session of one factor for the code when two-step sign-in is on; the app gets two factors', async () => {
      const { browser, secret, userId: id } = await withTwoStep();
      const before = await sessions().findOne({ userId: new Types.ObjectId(id) });

      // Without acr_values, the session of one factor is enough (and says so).
      const plain = await authorize();
      expect((await plain.redeem(await follow(browser, plain.url))).claims()?.amr).toEqual(['pwd']);

      // prompt=none cannot ask: the app hears login_required.
      const silent = await authorize({ acr_values: 'mfa', prompt: 'none' });
      const refused = await follow(browser, silent.url);
      expect(refused.origin + refused.pathname).toBe(APP.redirect_uris[0]);
      expect(refused.searchParams.get('error')).toBe('login_required');
      expect(refused.searchParams.get('code')).toBeNull();

      const { url, redeem } = await authorize({ acr_values: 'mfa' });
      const asked = await follow(browser, url);
      expect(asked.pathname).toBe('/login/second-factor');
      // The code goes to the pending step, as after a password.
      await browser
        .post('/auth/second-factor')
        .send({ code: totpCodeOf(secret) })
        .expect(200);
      const claims = (await redeem(await oidc.returnFrom(browser, asked))).claims()!;
      expect(claims).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'mfa', sub: id });

      // The browser's session of one factor was replaced by one of two.
      const after = await sessions()
        .find({ userId: new Types.ObjectId(id) })
        .toArray();
      expect(after).toHaveLength(1);
      expect(after[0]._id).not.toBe(before!._id);
      expect(after[0]).toMatchObject({ method: 'password', secondFactor: 'totp' });

      // Asked again, the session of two factors answers at once, also with prompt=none.
      const again = await authorize({ acr_values: 'mfa', prompt: 'none' });
      expect((await again.redeem(await follow(browser, again.url))).claims()?.acr).toBe('mfa');
    });

    it('sends a session of one factor to the sign-in page for a passkey; signing in with it gives the app two factors', async () => {
      const { browser, authenticator } = await withPasskey();
      const { url, redeem } = await authorize({ acr_values: 'mfa' });
      const asked = await follow(browser, url);
      expect(asked.pathname).toBe('/login');
      expect(asked.searchParams.get('notice')).toBe('two-factors-asked');
      const page = await browser.get(asked.pathname + asked.search).set('Accept', 'text/html');
      expect(page.text).toContain('asks for a stronger sign-in');

      await passkeySignIn(browser, authenticator);
      const claims = (await redeem(await oidc.returnFrom(browser, asked))).claims()!;
      expect(claims).toMatchObject({ amr: ['hwk', 'user', 'mfa'], acr: 'mfa' });
    });

    it('asks once: whoever signs in with one factor again gets the app the sign-in as it is, without acr', async () => {
      const { browser, account } = await withPasskey();
      const { url, redeem } = await authorize({ acr_values: 'mfa' });
      const asked = await follow(browser, url);
      expect(asked.pathname).toBe('/login');
      await oidc.signInAgain(browser, account.email);
      const callback = await oidc.returnFrom(browser, asked);
      expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
      const claims = (await redeem(callback)).claims()!;
      expect(claims.amr).toEqual(['pwd']);
      expect(claims).not.toHaveProperty('acr');
    });

    it('an account with neither two-step sign-in nor a passkey gets the app its sign-in as it is, also with prompt=none', async () => {
      const { browser } = await oidc.signedInBrowser();
      const asks: Record<string, string>[] = [
        { acr_values: 'mfa' },
        { acr_values: 'mfa', prompt: 'none' },
      ];
      for (const extra of asks) {
        const { url, redeem } = await authorize(extra);
        const callback = await follow(browser, url);
        expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
        const claims = (await redeem(callback)).claims()!;
        expect({ extra, amr: claims.amr, acr: claims.acr }).toEqual({
          extra,
          amr: ['pwd'],
          acr: undefined,
        });
      }
    });

    it('a browser without a session signs in with a passkey at once: no second ask', async () => {
      const { authenticator } = await withPasskey();
      const browser = request.agent(live.url);
      const { url, redeem } = await authorize({ acr_values: 'mfa' });
      const atLogin = await follow(browser, url);
      expect(atLogin.pathname).toBe('/login');
      await passkeySignIn(browser, authenticator);
      const callback = await oidc.returnFrom(browser, atLogin);
      expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
      expect((await redeem(callback)).claims()?.acr).toBe('mfa');
    });
  });

  describe('removing a passkey', () => {
    it('ends the sessions that signed in with it, and only those; the one removing it stays', async () => {
      const { browser: owner, authenticator, passkeyId, userId: id } = await withPasskey();
      // A second passkey, on another authenticator.
      const other = new SoftAuthenticator(live.url);
      const options = await owner.post('/me/passkeys/options').expect(200);
      await owner
        .post('/me/passkeys')
        .send({ response: other.create(options.body) })
        .expect(201);

      const withIt = [request.agent(live.url), request.agent(live.url)];
      for (const browser of withIt) await passkeySignIn(browser, authenticator);
      const withTheOther = request.agent(live.url);
      await passkeySignIn(withTheOther, other);
      const withPassword = request.agent(live.url);
      const { email } = (await owner.get('/me').expect(200)).body.user as { email: string };
      await withPassword.post('/auth/login').send({ login: email, password: GOOD_PASSWORD });
      expect(await sessions().countDocuments({ userId: new Types.ObjectId(id) })).toBe(5);

      // Removed from a session that signed in with it: that one stays.
      await withIt[0].delete(`/me/passkeys/${passkeyId}`).expect(204);
      await withIt[0].get('/me').expect(200);
      await withIt[1].get('/me').expect(401);
      for (const browser of [owner, withTheOther, withPassword]) {
        await browser.get('/me').expect(200);
      }
      expect(await sessions().countDocuments({ userId: new Types.ObjectId(id) })).toBe(4);
    });

    it('ends a session from before its passkey was recorded too (it may have signed in with it)', async () => {
      const { browser: owner, authenticator, passkeyId, userId: id } = await withPasskey();
      const older = request.agent(live.url);
      await passkeySignIn(older, authenticator);
      await sessions().updateOne(
        { userId: new Types.ObjectId(id), method: 'passkey' },
        { $unset: { passkey: 1, passkeyBackedUp: 1 } },
      );
      await owner.delete(`/me/passkeys/${passkeyId}`).expect(204);
      await older.get('/me').expect(401);
      await owner.get('/me').expect(200);
    });
  });
});
