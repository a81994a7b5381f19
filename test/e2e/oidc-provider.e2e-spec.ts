import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount } from '../support/accounts';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, formToken, oidcBrowsing } from '../support/oidc-browser';
import { createTestApp } from '../support/test-app';
import { OidcProvider } from '../../src/openid/oidc-provider.service';
import { BrowserSessions } from '../../src/sign-in/sessions/browser-sessions';
import { KEEP_REPLACED_KEYS_MS, rotateSigningKeys } from '../../src/openid/rotate-keys.command';
import { KEY_ACTIVATION_MS } from '../../src/openid/signing-keys';

const APP = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
  post_logout_redirect_uris: ['http://notes.example.test/'],
  client_name: 'Notes',
};
const POST_APP = {
  client_id: 'reports',
  client_secret: 'a-secret-of-the-reports-app-that-is-long-enough',
  token_endpoint_auth_method: 'client_secret_post',
  redirect_uris: ['http://reports.example.test/callback'],
};
const PUBLIC_APP = {
  client_id: 'spa',
  redirect_uris: ['http://spa.example.test/callback'],
};
/** A CLI signing in with the device flow (RFC 8628; its own tests: oidc-device.e2e-spec.ts). */
const DEVICE_APP = {
  client_id: 'cli',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
};

/** How the provider's records are keyed: the SHA-256 of the code or token (base64url). */
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** This service as the OpenID Connect provider, driven by openid-client (a certified relying party). */
describe('OpenID Connect provider', () => {
  let live: LiveApp;
  const oidc = oidcBrowsing(() => live.url);

  beforeAll(async () => {
    live = await startLiveApp({
      env: {
        OIDC_CLIENTS: JSON.stringify([APP, POST_APP, PUBLIC_APP, DEVICE_APP]),
        PROFILE_FIELDS: JSON.stringify([{ key: 'team', label: 'Team', type: 'text' }]),
      },
    });
  });
  afterAll(() => live.close());

  const { discover, signedInBrowser, follow } = oidc;
  /** The authorization request of the Notes app (PKCE, nonce), with `extra` parameters. */
  const authorize = (config: client.Configuration, extra: Record<string, string> = {}) =>
    oidc.authorize(config, APP.redirect_uris[0], extra);

  it('publishes its discovery document and keys with the FusionAuth-style endpoints', async () => {
    const config = await discover(APP.client_id, APP.client_secret);
    const metadata = config.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: live.url,
      authorization_endpoint: `${live.url}/oauth2/authorize`,
      token_endpoint: `${live.url}/oauth2/token`,
      userinfo_endpoint: `${live.url}/oauth2/userinfo`,
      introspection_endpoint: `${live.url}/oauth2/introspect`,
      revocation_endpoint: `${live.url}/oauth2/revoke`,
      jwks_uri: `${live.url}/.well-known/jwks.json`,
      end_session_endpoint: `${live.url}/oauth2/logout`,
      response_types_supported: ['code'],
    });
    const jwks = await request(live.url).get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
  });

  it('serves every endpoint its discovery document advertises (none answers 404)', async () => {
    /** How each advertised endpoint is called; one missing here is an endpoint nobody checked. */
    const methods: Record<string, 'get' | 'post'> = {
      authorization_endpoint: 'get',
      token_endpoint: 'post',
      userinfo_endpoint: 'get',
      introspection_endpoint: 'post',
      revocation_endpoint: 'post',
      pushed_authorization_request_endpoint: 'post',
      device_authorization_endpoint: 'post',
      end_session_endpoint: 'get',
      jwks_uri: 'get',
    };
    const metadata = (await request(live.url).get('/.well-known/openid-configuration').expect(200))
      .body as Record<string, unknown>;
    const advertised = Object.entries(metadata).filter(
      (entry): entry is [string, string] =>
        entry[0] !== 'issuer' && typeof entry[1] === 'string' && entry[1].startsWith(live.url),
    );
    expect(advertised.map(([name]) => name)).toEqual(
      expect.arrayContaining(['authorization_endpoint', 'token_endpoint', 'jwks_uri']),
    );
    const answers = [];
    for (const [name, url] of advertised) {
      const method = methods[name];
      expect({ name, method }).toEqual({ name, method: expect.any(String) });
      const { status } = await request(live.url)[method](new URL(url).pathname);
      answers.push({ name, url, status });
    }
    expect(answers.filter(({ status }) => status === 404 || status >= 500)).toEqual([]);
  });

  it('takes pushed authorization requests (PAR): the app pushes its request, the browser carries only its reference, once', async () => {
    const { browser, userId } = await signedInBrowser();
    const config = await discover(APP.client_id, APP.client_secret);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: APP.redirect_uris[0],
      scope: 'openid email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const callback = await follow(browser, url);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBe(userId);

    // A request_uri is used once: the same address again gives the app an error, no second code.
    // Used, it no longer says where the app's redirect_uri is (which a request must name, Core
    // 3.1.2.1): the error page here, no code and no redirect.
    const again = await browser.get(url.pathname + url.search);
    expect(again.status).toBe(400);
    expect(again.headers.location).toBeUndefined();
    expect(again.text).toContain('invalid_request_uri');

    // Only the app itself pushes: a wrong secret is refused.
    const impostor = await discover(APP.client_id, 'not-the-secret-of-the-notes-app-at-all');
    await expect(
      client.buildAuthorizationUrlWithPAR(impostor, {
        redirect_uri: APP.redirect_uris[0],
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }),
    ).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('signs a browser with a session in at once (code + PKCE), with the claims at userinfo', async () => {
    const { browser, account, userId } = await signedInBrowser();
    const config = await discover(APP.client_id, APP.client_secret);
    const asked = await authorize(config);
    const callback = await follow(browser, asked.url);
    expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);

    const tokens = await oidc.redeem(config, callback, asked);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: live.url,
      aud: APP.client_id,
      sub: userId,
      email: account.email,
      email_verified: false,
      name: 'Ada Lovelace',
    });
    const info = await client.fetchUserInfo(config, tokens.access_token, userId);
    expect(info).toMatchObject({ sub: userId, email: account.email, name: 'Ada Lovelace' });
  });

  it('adds the profile data as claim `data` with scope data, and only then', async () => {
    const { browser, userId } = await signedInBrowser();
    await browser
      .patch('/me')
      .send({ data: { team: 'Analytical Engines' } })
      .expect(200);
    const config = await discover(APP.client_id, APP.client_secret);
    const claimsFor = async (scope: string) => {
      const asked = await authorize(config, { scope });
      const tokens = await oidc.redeem(config, await follow(browser, asked.url), asked);
      return client.fetchUserInfo(config, tokens.access_token, userId);
    };
    expect(await claimsFor('openid data')).toEqual({
      sub: userId,
      data: { team: 'Analytical Engines' },
    });
    expect(await claimsFor('openid email')).not.toHaveProperty('data');
  });

  it('sends a browser without a session to /login, and back to the app once signed in', async () => {
    const { account } = await signedInBrowser();
    const browser = request.agent(live.url);
    const config = await discover(APP.client_id, APP.client_secret);
    const asked = await authorize(config);
    const location = await follow(browser, asked.url);
    expect(location.pathname).toBe('/login');
    const returnTo = location.searchParams.get('returnTo')!;
    expect(returnTo).toMatch(/^\/oauth2\/interaction\/[\w-]+$/);

    await oidc.signInAgain(browser, account.email);
    const callback = await oidc.returnFrom(browser, location);
    const tokens = await oidc.redeem(config, callback, asked);
    expect(tokens.claims()?.email).toBe(account.email);
  });
  it("reads this service's session once per request of an authorization, whatever asks for it", async () => {
    const { account } = await signedInBrowser();
    const browser = request.agent(live.url);
    const config = await discover(APP.client_id, APP.client_secret);
    const reads = jest.spyOn(live.t.app.get(BrowserSessions), 'authenticate');
    try {
      /** Follows the redirects like follow(), noting how often each request read the session. */
      async function readsAlong(start: URL) {
        const steps: { path: string; reads: number }[] = [];
        reads.mockClear();
        const url = await follow(browser, start, {
          onResponse: (at) => {
            const path = at.pathname.replace(/^(\/oauth2\/\w+)\/[\w-]+$/, '$1/:uid');
            steps.push({ path, reads: reads.mock.calls.length });
            reads.mockClear();
          },
        });
        return { steps, url };
      }
      const asked = await authorize(config);
      const before = await readsAlong(asked.url);
      expect(before.steps).toEqual([
        { path: '/oauth2/authorize', reads: 1 },
        { path: '/oauth2/interaction/:uid', reads: 1 },
      ]);
      await oidc.signInAgain(browser, account.email);
      const after = await readsAlong(oidc.returnToOf(before.url));
      expect(after.steps).toEqual([
        { path: '/oauth2/interaction/:uid', reads: 1 },
        { path: '/oauth2/authorize/:uid', reads: 1 },
      ]);
      const tokens = await oidc.redeem(config, after.url, asked);
      expect(tokens.claims()?.email).toBe(account.email);
    } finally {
      reads.mockRestore();
    }
  });

  it('refuses a replayed code with invalid_grant, and what it issued stops working', async () => {
    const { browser, userId } = await signedInBrowser();
    const config = await discover(APP.client_id, APP.client_secret);
    const asked = await authorize(config);
    const callback = await follow(browser, asked.url);
    const tokens = await oidc.redeem(config, callback, asked);
    await expect(oidc.redeem(config, callback, asked)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
  });

  it('issues a refresh token for offline_access, and rotates it', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(APP.client_id, APP.client_secret);
    const asked = await authorize(config, { scope: 'openid email offline_access' });
    const tokens = await oidc.redeem(config, await follow(browser, asked.url), asked);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses a wrong client secret, a wrong PKCE verifier and a public client without PKCE', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(APP.client_id, APP.client_secret);
    const { url, state } = await authorize(config);
    const callback = await follow(browser, url);
    const wrongSecret = await discover(APP.client_id, 'not-the-secret-of-the-notes-app-at-all');
    await expect(
      client.authorizationCodeGrant(wrongSecret, callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(
      client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const spa = await discover(PUBLIC_APP.client_id);
    const withoutPkce = client.buildAuthorizationUrl(spa, {
      redirect_uri: PUBLIC_APP.redirect_uris[0],
      scope: 'openid',
      state: client.randomState(),
    });
    const refused = await follow(browser, withoutPkce);
    expect(refused.origin + refused.pathname).toBe(PUBLIC_APP.redirect_uris[0]);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
  });
  it('refuses a redirect_uri the app did not register, and an expired or unknown sign-in request', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(APP.client_id, APP.client_secret);
    const { url } = await oidc.authorize(config, 'https://evil.example.net/callback', {
      scope: 'openid',
    });
    const refused = await browser.get(url.pathname + url.search).expect(400);
    expect(refused.text).toContain('redirect_uri');
    expect(refused.headers.location).toBeUndefined();

    const expired = await request(live.url)
      .get('/oauth2/interaction/not-a-real-one')
      .set('Accept', 'application/json')
      .expect(400);
    expect(expired.body.error.code).toBe('SIGN_IN_REQUEST_EXPIRED');
  });

  it('authenticates an app with client_secret_post when it registered that', async () => {
    const { browser, userId } = await signedInBrowser();
    const config = await discover(
      POST_APP.client_id,
      { client_secret: POST_APP.client_secret, token_endpoint_auth_method: 'client_secret_post' },
      client.ClientSecretPost(POST_APP.client_secret),
    );
    const asked = await oidc.authorize(config, POST_APP.redirect_uris[0], { scope: 'openid' });
    const tokens = await oidc.redeem(config, await follow(browser, asked.url), asked);
    expect(tokens.claims()?.sub).toBe(userId);
  });

  describe('prompt and max_age', () => {
    /** The authorization request with extra parameters; returns where the browser ends up. */
    async function ask(browser: Browser, extra: Record<string, string>) {
      const config = await discover(APP.client_id, APP.client_secret);
      const { url } = await authorize(config, extra);
      return follow(browser, url);
    }

    it('prompt=none: answers at once for a browser signed in here, login_required without', async () => {
      const { browser } = await signedInBrowser();
      const signedIn = await ask(browser, { prompt: 'none' });
      expect(signedIn.searchParams.get('error')).toBeNull();
      expect(signedIn.searchParams.get('code')).toEqual(expect.any(String));

      const stranger = await ask(request.agent(live.url), { prompt: 'none' });
      expect(stranger.origin + stranger.pathname).toBe(APP.redirect_uris[0]);
      expect(stranger.searchParams.get('error')).toBe('login_required');
    });

    it('forgets a browser that signed out here', async () => {
      const { browser } = await signedInBrowser();
      expect((await ask(browser, {})).searchParams.get('code')).toEqual(expect.any(String));
      await browser.post('/auth/logout').expect(204);
      const after = await ask(browser, { prompt: 'none' });
      expect(after.searchParams.get('error')).toBe('login_required');
    });

    it('prompt=login completes once the person has signed in again', async () => {
      const { browser, account } = await signedInBrowser();
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { prompt: 'login' });
      const atLogin = await follow(browser, asked.url);
      expect(atLogin.pathname).toBe('/login');
      // The request began a while ago (its iat counts whole seconds); the person signs in now.
      await live.t.db
        .collection('oidc_interaction')
        .updateMany({}, { $inc: { 'payload.iat': -5 } });
      await oidc.signInAgain(browser, account.email);
      const callback = await oidc.returnFrom(browser, atLogin);
      const tokens = await oidc.redeem(config, callback, asked);
      expect(tokens.claims()?.email).toBe(account.email);
    });

    it('prompt=login and max_age=0 send a signed-in browser to sign in again first', async () => {
      const { browser } = await signedInBrowser();
      for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
        const place = await ask(browser, extra);
        expect(place.pathname).toBe('/login');
        expect(place.searchParams.get('returnTo')).toMatch(/^\/oauth2\/interaction\//);
      }
    });
  });
  it('answers apps on other origins (CORS), while our own API still refuses cross-site writes', async () => {
    const appOrigin = new URL(APP.redirect_uris[0]).origin;
    const preflight = await request(live.url)
      .options('/oauth2/userinfo')
      .set('Origin', appOrigin)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(preflight.status).toBeLessThan(300);
    const discovery = await request(live.url)
      .get('/.well-known/openid-configuration')
      .set('Origin', 'https://anywhere.example.net')
      .expect(200);
    expect(discovery.headers['access-control-allow-origin']).toBe('https://anywhere.example.net');
    // The sign-in form may lead back to the apps (through the provider's redirects), so browsers
    // must let it (CSP form-action); the apps' origins are there, and only theirs besides ours.
    const page = await request(live.url).get('/login').set('Accept', 'text/html').expect(200);
    const formAction = /form-action ([^;]*)/.exec(page.headers['content-security-policy'])?.[1];
    expect(formAction?.split(' ')).toEqual(
      expect.arrayContaining(["'self'", appOrigin, 'http://reports.example.test']),
    );
    // Our own JSON API still refuses cross-site writes.
    await request(live.url)
      .post('/auth/login')
      .set('Origin', appOrigin)
      .send({ login: 'someone', password: 'whatever it is' })
      .expect(403);
  });

  describe('one browser, one person after another', () => {
    /** The app's sign-in in `browser`, to the end: the tokens and the grant's account. */
    async function signInToTheApp(browser: Browser) {
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { scope: 'openid email offline_access' });
      const callback = await follow(browser, asked.url);
      expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
      return oidc.redeem(config, callback, asked);
    }
    /** The provider's sessions (oidc_session) that name the account. */
    const providerSessionsOf = (accountId: string) =>
      live.t.db.collection('oidc_session').countDocuments({ 'payload.accountId': accountId });
    const grantsOf = (accountId: string) =>
      live.t.db.collection('oidc_grant').find({ 'payload.accountId': accountId }).toArray();

    it("signing out here (POST /auth/logout) ends the provider's session; the next person's sign-in completes the app's request as them", async () => {
      const { browser, userId: first } = await signedInBrowser();
      expect((await signInToTheApp(browser)).claims()?.sub).toBe(first);
      expect(await providerSessionsOf(first)).toBe(1);

      await browser.post('/auth/logout').expect(204);
      expect(await providerSessionsOf(first)).toBe(0);

      const second = newAccount();
      const registered = await browser.post('/auth/register').send(second).expect(201);
      const secondId = registered.body.user.id as string;
      const tokens = await signInToTheApp(browser);
      expect(tokens.claims()).toMatchObject({ sub: secondId, email: second.email });
      // A grant of the second person's own; the first one's is theirs still, and unchanged.
      const introspected = await client.tokenIntrospection(
        await discover(APP.client_id, APP.client_secret),
        tokens.access_token,
      );
      expect(introspected).toMatchObject({ active: true, sub: secondId });
      expect(await grantsOf(secondId)).toHaveLength(1);
      const firstGrants = await grantsOf(first);
      expect(firstGrants).toHaveLength(1);
      expect(firstGrants[0].payload.accountId).toBe(first);
    });

    it("signing out on the pages (POST /logout) ends the provider's session too", async () => {
      const { browser, userId } = await signedInBrowser();
      await signInToTheApp(browser);
      expect(await providerSessionsOf(userId)).toBe(1);
      const settings = await browser.get('/settings').set('Accept', 'text/html').expect(200);
      await browser
        .post('/logout')
        .type('form')
        .send({ _csrf: formToken(settings.text) })
        .expect(303);
      await browser.get('/me').expect(401);
      expect(await providerSessionsOf(userId)).toBe(0);
    });

    it('a person signing in over another one without signing out gets the app as themselves, also with prompt=none', async () => {
      const { browser, userId: first } = await signedInBrowser();
      expect((await signInToTheApp(browser)).claims()?.sub).toBe(first);
      const second = await signedInBrowser();
      await oidc.signInAgain(browser, second.account.email);
      expect((await signInToTheApp(browser)).claims()?.sub).toBe(second.userId);

      const third = await signedInBrowser();
      await oidc.signInAgain(browser, third.account.email);
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { scope: 'openid', prompt: 'none' });
      const callback = await follow(browser, asked.url);
      const tokens = await oidc.redeem(config, callback, asked);
      expect(tokens.claims()?.sub).toBe(third.userId);
    });

    it('prompt=login answered by someone else signing in completes as them', async () => {
      const { browser, userId: first } = await signedInBrowser();
      expect((await signInToTheApp(browser)).claims()?.sub).toBe(first);
      const second = await signedInBrowser();
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { scope: 'openid', prompt: 'login' });
      const atLogin = await follow(browser, asked.url);
      expect(atLogin.pathname).toBe('/login');
      await live.t.db
        .collection('oidc_interaction')
        .updateMany({}, { $inc: { 'payload.iat': -5 } });
      await oidc.signInAgain(browser, second.account.email);
      const tokens = await oidc.redeem(config, await oidc.returnFrom(browser, atLogin), asked);
      expect(tokens.claims()?.sub).toBe(second.userId);
    });
  });

  describe('id_token_hint', () => {
    /** An ID token of the person signed in in `browser`. */
    async function idTokenIn(browser: Browser) {
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { scope: 'openid' });
      const tokens = await oidc.redeem(config, await follow(browser, asked.url), asked);
      return tokens.id_token!;
    }
    async function silently(browser: Browser, idTokenHint: string) {
      const config = await discover(APP.client_id, APP.client_secret);
      const { url } = await authorize(config, {
        scope: 'openid',
        prompt: 'none',
        id_token_hint: idTokenHint,
      });
      const back = await follow(browser, url);
      expect(back.origin + back.pathname).toBe(APP.redirect_uris[0]);
      return back.searchParams;
    }

    it('answers login_required when the hint names someone else than the person signed in here, a code when it names them', async () => {
      const { browser, account } = await signedInBrowser();
      const own = await idTokenIn(browser);
      const someoneElse = await idTokenIn((await signedInBrowser()).browser);
      // In a browser that used the app already (the provider has a session there)…
      const refused = await silently(browser, someoneElse);
      expect(refused.get('error')).toBe('login_required');
      expect(refused.get('code')).toBeNull();
      const answered = await silently(browser, own);
      expect(answered.get('error')).toBeNull();
      expect(answered.get('code')).toEqual(expect.any(String));

      // …and in one that has not (the same person signed in there too).
      const other = request.agent(live.url);
      await oidc.signInAgain(other, account.email);
      expect((await silently(other, someoneElse)).get('error')).toBe('login_required');
      expect((await silently(other, own)).get('code')).toEqual(expect.any(String));
    });

    /** The app's request naming `idTokenHint`, without prompt=none: where the browser stops. */
    async function hinting(browser: Browser, idTokenHint: string) {
      const config = await discover(APP.client_id, APP.client_secret);
      const started = await authorize(config, { scope: 'openid', id_token_hint: idTokenHint });
      return { config, ...started, place: await follow(browser, started.url) };
    }

    it('without prompt=none, a hint naming someone else shows the sign-in page once; still not them, the app gets login_required with its state', async () => {
      const { browser, account } = await signedInBrowser();
      await idTokenIn(browser);
      const someoneElse = await idTokenIn((await signedInBrowser()).browser);

      // Signing in again as the same person is not signing in as the hinted one.
      const first = await hinting(browser, someoneElse);
      expect(first.place.pathname).toBe('/login');
      await oidc.signInAgain(browser, account.email);
      const refused = await oidc.returnFrom(browser, first.place);
      expect(refused.origin + refused.pathname).toBe(APP.redirect_uris[0]);
      expect(refused.searchParams.get('error')).toBe('login_required');
      expect(refused.searchParams.get('state')).toBe(first.state);
      expect(refused.searchParams.get('code')).toBeNull();

      // Coming back without signing in at all: the same answer, and the person stays signed in here.
      const second = await hinting(browser, someoneElse);
      expect(second.place.pathname).toBe('/login');
      const back = await oidc.returnFrom(browser, second.place);
      expect(back.searchParams.get('error')).toBe('login_required');
      expect(back.searchParams.get('state')).toBe(second.state);
      await browser.get('/me').expect(200);

      // A browser signed in nowhere: whoever else signs in there, the same.
      const fresh = request.agent(live.url);
      const third = await hinting(fresh, someoneElse);
      expect(third.place.pathname).toBe('/login');
      await oidc.signInAgain(fresh, account.email);
      expect((await oidc.returnFrom(fresh, third.place)).searchParams.get('error')).toBe(
        'login_required',
      );
    });

    it('without prompt=none, the hinted person signing in completes the request as them', async () => {
      const { browser } = await signedInBrowser();
      await idTokenIn(browser);
      const hinted = await signedInBrowser();
      const hint = await idTokenIn(hinted.browser);

      for (const place of [browser, request.agent(live.url)]) {
        const { config, place: atLogin, ...asked } = await hinting(place, hint);
        expect(atLogin.pathname).toBe('/login');
        await oidc.signInAgain(place, hinted.account.email);
        const callback = await oidc.returnFrom(place, atLogin);
        const tokens = await oidc.redeem(config, callback, asked);
        expect(tokens.claims()?.sub).toBe(hinted.userId);
      }

      // Signed in as the hinted person already: no sign-in page.
      const { config, place, ...asked } = await hinting(hinted.browser, hint);
      const tokens = await oidc.redeem(config, place, asked);
      expect(tokens.claims()?.sub).toBe(hinted.userId);
    });

    it('someone else signing in while the hinted sign-in is on its way back to the provider gets the app login_required, not a code', async () => {
      const hinted = await signedInBrowser();
      const hint = await idTokenIn(hinted.browser);
      const other = await signedInBrowser();
      const browser = request.agent(live.url);
      const { state, place: atLogin } = await hinting(browser, hint);
      await oidc.signInAgain(browser, hinted.account.email);
      const finished = await browser.get(atLogin.searchParams.get('returnTo')!).expect(303);
      // The provider resumes the request with the hinted person's sign-in, but this browser is
      // someone else's by then: the provider follows this service's session.
      await oidc.signInAgain(browser, other.account.email);
      const back = await follow(browser, new URL(finished.headers.location, oidc.issuer()));
      expect(back.origin + back.pathname).toBe(APP.redirect_uris[0]);
      expect(back.searchParams.get('error')).toBe('login_required');
      expect(back.searchParams.get('state')).toBe(state);
      expect(back.searchParams.get('code')).toBeNull();
    });
  });

  describe('revocation', () => {
    /** An app holding an access and a refresh token for a signed-in browser. */
    async function appWithTokens() {
      const signedIn = await signedInBrowser();
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { scope: 'openid email offline_access' });
      const tokens = await oidc.redeem(config, await follow(signedIn.browser, asked.url), asked);
      return { ...signedIn, config, tokens };
    }
    async function expectRevoked(
      config: client.Configuration,
      tokens: client.TokenEndpointResponse,
      userId: string,
    ) {
      await expect(client.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
      const introspection = await client.tokenIntrospection(config, tokens.access_token);
      expect(introspection.active).toBe(false);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    }

    it('revokes what the apps hold when the password changes', async () => {
      const { browser, config, tokens, userId } = await appWithTokens();
      const before = await client.tokenIntrospection(config, tokens.access_token);
      expect(before).toMatchObject({ active: true, sub: userId });
      await browser
        .put('/me/password')
        .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a changed passphrase, long enough' })
        .expect(204);
      await expectRevoked(config, tokens, userId);
    });

    it('revokes what the apps hold when the account is deleted, and on "sign out everywhere"', async () => {
      const deleted = await appWithTokens();
      await deleted.browser.delete('/me').send({ password: GOOD_PASSWORD }).expect(204);
      await expectRevoked(deleted.config, deleted.tokens, deleted.userId);

      const everywhere = await appWithTokens();
      await everywhere.browser.delete('/me/sessions').expect(204);
      await expectRevoked(everywhere.config, everywhere.tokens, everywhere.userId);
    });
  });
  describe('storage', () => {
    /** The token endpoint, as an app calls it with its credentials (client_secret_basic). */
    const tokenRequest = (form: Record<string, string>) =>
      request(live.url)
        .post('/oauth2/token')
        .auth(APP.client_id, APP.client_secret)
        .type('form')
        .send(form);
    const userinfo = (accessToken: string) =>
      request(live.url).get('/oauth2/userinfo').auth(accessToken, { type: 'bearer' });

    /** A code for `browser`, with what redeeming it takes. */
    async function codeFor(browser: Browser, scope = 'openid email') {
      const config = await discover(APP.client_id, APP.client_secret);
      const { url, verifier } = await authorize(config, { scope });
      const code = (await follow(browser, url)).searchParams.get('code');
      if (!code) throw new Error('No code came back');
      return {
        grant_type: 'authorization_code',
        code,
        redirect_uri: APP.redirect_uris[0],
        code_verifier: verifier,
      };
    }

    /** Two requests at the same moment: exactly one succeeds, the other is invalid_grant. */
    async function race(form: Record<string, string>) {
      const answers = await Promise.all([tokenRequest(form), tokenRequest(form)]);
      expect(answers.map(({ status }) => status).sort()).toEqual([200, 400]);
      const winner = answers.find(({ status }) => status === 200)!;
      const loser = answers.find(({ status }) => status === 400)!;
      expect(loser.body).toMatchObject({ error: 'invalid_grant' });
      return winner.body as { access_token: string; refresh_token?: string };
    }

    it('a code redeemed twice at the same moment: one redemption succeeds, and the replay revokes what it issued (8 trials)', async () => {
      const { browser } = await signedInBrowser();
      for (let trial = 0; trial < 8; trial++) {
        const winner = await race(await codeFor(browser));
        await userinfo(winner.access_token).expect(401);
      }
    });

    it('a refresh token used twice at the same moment: one use succeeds, and the replay revokes the grant (8 trials)', async () => {
      const { browser } = await signedInBrowser();
      for (let trial = 0; trial < 8; trial++) {
        const issued = await tokenRequest(await codeFor(browser, 'openid offline_access')).expect(
          200,
        );
        const refresh = { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token };
        const winner = await race(refresh);
        await userinfo(winner.access_token).expect(401);
        const again = { grant_type: 'refresh_token', refresh_token: winner.refresh_token! };
        expect((await tokenRequest(again).expect(400)).body.error).toBe('invalid_grant');
      }
    });

    it('a database reader finds no code, token or session cookie in any oidc_* record, and every lookup still works', async () => {
      const { browser, userId } = await signedInBrowser();
      const config = await discover(APP.client_id, APP.client_secret);
      /** The cookies set on the way (`name=value`). */
      const cookies: string[] = [];
      const noteCookies = {
        onResponse: (_: URL, response: request.Response) => {
          const setCookies =
            (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
          cookies.push(...setCookies.map((line) => line.split(';')[0]));
        },
      };
      const asked = await authorize(config, { scope: 'openid email offline_access' });
      const callback = await follow(browser, asked.url, noteCookies);
      const tokens = await oidc.redeem(config, callback, asked);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      // A sign-in request left waiting at /login holds the provider's session (prompt=login).
      const again = await authorize(config, { prompt: 'login' });
      expect((await follow(browser, again.url, noteCookies)).pathname).toBe('/login');

      const sessionCookies = cookies
        .filter((cookie) => cookie.startsWith('_session='))
        .map((cookie) => cookie.slice('_session='.length))
        .filter((value) => value !== '');
      expect(sessionCookies.length).toBeGreaterThan(0);
      // A device's codes: one waiting for the person, one they approved on the /device page.
      const cli = await discover(DEVICE_APP.client_id);
      const waiting = await client.initiateDeviceAuthorization(cli, { scope: 'openid' });
      const approved = await client.initiateDeviceAuthorization(cli, { scope: 'openid' });
      const form = await browser.get('/device').expect(200);
      const csrf = formToken(form.text);
      await browser
        .post('/device')
        .type('form')
        .send({ _csrf: csrf, user_code: approved.user_code, decision: 'approve' })
        .expect(200);
      const secrets = [
        ...[waiting, approved].flatMap(({ device_code, user_code }) => [
          device_code,
          user_code,
          user_code.replace('-', ''),
        ]),
        callback.searchParams.get('code')!,
        tokens.access_token,
        tokens.refresh_token!,
        refreshed.access_token,
        refreshed.refresh_token!,
        ...sessionCookies,
      ];
      const db = live.t.db.db!;
      const names = (await db.listCollections({}, { nameOnly: true }).toArray())
        .map(({ name }) => name)
        .filter((name) => name.startsWith('oidc_'));
      /** Every raw document of every oidc_* collection, as a reader sees it. */
      const stored = new Map<string, string[]>();
      for (const name of names) {
        const records = await db.collection(name).find().toArray();
        stored.set(
          name,
          records.map((record) => JSON.stringify(record)),
        );
      }
      // The reader really sees the records the flow wrote.
      for (const name of [
        'oidc_authorization_code',
        'oidc_access_token',
        'oidc_refresh_token',
        'oidc_session',
        'oidc_interaction',
        'oidc_grant',
        'oidc_device_code',
      ]) {
        expect(stored.get(name)?.length).toBeGreaterThan(0);
      }
      const holding = [...stored].flatMap(([name, records]) =>
        records
          .filter((record) => secrets.some((secret) => record.includes(secret)))
          .map((record) => `${name} ${(JSON.parse(record) as { _id: string })._id}`),
      );
      expect(holding).toEqual([]);
      // What the reader does find, a record's key, is no bearer value either.
      const key = sha256(refreshed.access_token);
      expect(stored.get('oidc_access_token')!.some((record) => record.includes(key))).toBe(true);
      for (const value of [key, `stored-key:${key}`]) await userinfo(value).expect(401);

      // Found by their hashes: userinfo, introspection, refresh and revocation all work.
      expect(await client.fetchUserInfo(config, refreshed.access_token, userId)).toMatchObject({
        sub: userId,
      });
      expect(await client.tokenIntrospection(config, refreshed.access_token)).toMatchObject({
        active: true,
        sub: userId,
      });
      const rotated = await client.refreshTokenGrant(config, refreshed.refresh_token!);
      await client.tokenRevocation(config, rotated.refresh_token!);
      await expect(client.refreshTokenGrant(config, rotated.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      expect(await client.tokenIntrospection(config, rotated.access_token)).toMatchObject({
        active: false,
      });
    });

    it('drops the records an older version kept in clear at the first start of this one: a token a reader could see never works', async () => {
      const { browser, userId } = await signedInBrowser();
      const config = await discover(APP.client_id, APP.client_secret);
      const tokens = (
        await tokenRequest(await codeFor(browser, 'openid offline_access')).expect(200)
      ).body as { access_token: string; refresh_token: string };
      // As the older version stored them: keyed by the token itself, which the payload held too.
      const inClear = async (collection: string, token: string) => {
        const records = live.t.db.collection<{ _id: string; payload: object }>(collection);
        const hashed = await records.findOne({ _id: sha256(token) });
        expect(hashed).not.toBeNull();
        await records.insertOne({
          ...hashed!,
          _id: token,
          payload: { ...hashed!.payload, jti: token },
        });
        await records.deleteOne({ _id: hashed!._id });
        return records;
      };
      const accessTokens = await inClear('oidc_access_token', tokens.access_token);
      const refreshTokens = await inClear('oidc_refresh_token', tokens.refresh_token);
      await expect(client.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
      const refresh = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token };
      expect((await tokenRequest(refresh).expect(400)).body.error).toBe('invalid_grant');

      // As though this version had not started on the database yet: its migration not recorded.
      const migrations = live.t.db.collection<{ _id: string }>('migrations');
      const migration = 'oidc: records keyed by hashes';
      expect(await migrations.deleteOne({ _id: migration })).toMatchObject({ deletedCount: 1 });
      const next = await createTestApp({
        database: live.t.database,
        env: { PUBLIC_URL: live.url, OIDC_CLIENTS: JSON.stringify([APP]) },
      });
      try {
        expect(await accessTokens.countDocuments({ _id: tokens.access_token })).toBe(0);
        expect(await refreshTokens.countDocuments({ _id: tokens.refresh_token })).toBe(0);
        expect(await migrations.findOne({ _id: migration })).toMatchObject({
          completedAt: expect.any(Date),
        });
      } finally {
        // Not next.close(): that drops the database the first instance still uses.
        await next.app.close();
      }
    });
  });

  describe('signing keys', () => {
    const jwks = async () =>
      (await request(live.url).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    /** A fresh ID token for a new signed-in person. */
    async function idToken(): Promise<string> {
      const { browser } = await signedInBrowser();
      const config = await discover(APP.client_id, APP.client_secret);
      const asked = await authorize(config, { scope: 'openid' });
      const tokens = await oidc.redeem(config, await follow(browser, asked.url), asked);
      return tokens.id_token!;
    }
    const kidOf = (token: string) => decodeProtectedHeader(token).kid;
    const verifies = (token: string, keys: JSONWebKeySet) =>
      jwtVerify(token, createLocalJWKSet(keys), { issuer: live.url, audience: APP.client_id });

    it('rotate-keys: the new key is published at once and signs once every instance publishes it; tokens of the old one still verify, until it goes', async () => {
      const oidc = live.t.app.get(OidcProvider);
      const keys = live.t.db.collection<{ createdAt: Date }>('oidc_signing_keys');
      /** Moves every key's creation `ms` into the past: time passes. */
      const age = async (ms: number) => {
        for (const key of await keys.find().toArray()) {
          await keys.updateOne(
            { _id: key._id },
            { $set: { createdAt: new Date(key.createdAt.getTime() - ms) } },
          );
        }
      };
      const oldToken = await idToken();
      const oldKid = kidOf(oldToken);
      expect((await jwks()).keys.map(({ kid }) => kid)).toEqual([oldKid]);

      expect(await rotateSigningKeys(live.t.app)).toMatch(
        /^Added signing key [\w-]{22}; running instances publish it within a minute and sign with it within 3 minutes/,
      );
      await oidc.reloadKeys();
      const published = (await jwks()).keys.map(({ kid }) => kid);
      expect(published).toHaveLength(2);
      const newKid = published.find((kid) => kid !== oldKid)!;
      // Published, but the old key still signs: an instance that has not looked yet must verify it.
      expect(kidOf(await idToken())).toBe(oldKid);

      await age(KEY_ACTIVATION_MS);
      await oidc.reloadKeys();
      expect((await jwks()).keys.map(({ kid }) => kid)).toEqual([newKid, oldKid]);
      const newToken = await idToken();
      expect(kidOf(newToken)).toBe(newKid);
      await verifies(oldToken, await jwks());
      await verifies(newToken, await jwks());

      // Long after the rotation, the next one removes the replaced key.
      await age(KEEP_REPLACED_KEYS_MS + 60_000);
      expect(await rotateSigningKeys(live.t.app)).toContain(`removed ${oldKid}`);
      await oidc.reloadKeys();
      const after = (await jwks()).keys.map(({ kid }) => kid);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(oldKid);
      await expect(verifies(oldToken, await jwks())).rejects.toThrow();
      await verifies(newToken, await jwks());
    });
  });
});
