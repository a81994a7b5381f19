import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { Types } from 'mongoose';
import * as client from 'openid-client';
import request from 'supertest';
import { LiveApp, startLiveApp } from '../../support/live-app';
import { type Browser, oidcBrowsing } from '../../support/oidc-browser';
import { signInWithAuthlib, signInWithGoOidc } from '../../support/relying-parties';

const APP = {
  client_id: 'conformance-basic',
  client_secret: 'a-secret-of-the-conformance-app-long-enough',
  redirect_uris: ['http://rp.example.test/callback'],
};
const POST_APP = {
  client_id: 'conformance-post',
  client_secret: 'a-secret-of-the-conformance-post-app-long-enough',
  token_endpoint_auth_method: 'client_secret_post',
  redirect_uris: ['http://rp-post.example.test/callback'],
};
const OTHER_APP = {
  client_id: 'conformance-other',
  client_secret: 'a-secret-of-the-other-conformance-app-long',
  redirect_uris: ['http://rp-other.example.test/callback'],
};
const REDIRECT = APP.redirect_uris[0];

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const at = (url: URL) => url.origin + url.pathname;

/**
 * The checks of the OpenID Foundation's Basic OP certification plan
 * (oidcc-basic-certification-test-plan: authorization code flow, client_secret_basic, and
 * client_secret_post for oidcc-server-client-secret-post), each test named after the plan's module
 * it follows, as far as they can be expressed offline; see "Conformance" in
 * docs/openid-provider.md for the modules left out and why. Besides openid-client, two relying
 * parties this project did not write sign in: Authlib (Python) and go-oidc (Go).
 */
describe('Basic OP (the OpenID Foundation conformance plan, offline)', () => {
  let live: LiveApp;
  const oidc = oidcBrowsing(() => live.url);
  let config: client.Configuration;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    live = await startLiveApp({
      env: { OIDC_CLIENTS: JSON.stringify([APP, POST_APP, OTHER_APP]) },
    });
    config = await oidc.discover(APP.client_id, APP.client_secret);
    const keys = await request(live.url).get('/.well-known/jwks.json').expect(200);
    jwks = createLocalJWKSet(keys.body as JSONWebKeySet);
  });
  afterAll(() => live.close());

  /** A signed-in browser's authorization request, through to the callback (and its code). */
  async function signIn(extra: Record<string, string | false> = {}, browser?: Browser) {
    const person = browser ? undefined : await oidc.signedInBrowser();
    const asked = await oidc.authorize(config, REDIRECT, extra);
    const callback = await oidc.follow(browser ?? person!.browser, asked.url);
    return { ...person, asked, callback };
  }

  /** Signed in, and the code redeemed: the tokens, with the ID token's claims. */
  async function tokensFor(extra: Record<string, string | false> = {}) {
    const signedIn = await signIn(extra);
    const tokens = await oidc.redeem(config, signedIn.callback, signedIn.asked);
    return { ...signedIn, tokens, claims: tokens.claims()! };
  }

  /** What the provider answered at the app's redirect_uri for an error. */
  function expectErrorAtApp(callback: URL, state: string, errors: string[]) {
    expect(at(callback)).toBe(REDIRECT);
    expect(errors).toContain(callback.searchParams.get('error'));
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('code')).toBeNull();
  }

  it('oidcc-server: the code flow; the ID token (iss, aud, sub, exp, iat, nonce) and userinfo agree', async () => {
    const { claims, tokens, asked, userId } = await tokensFor();
    const now = Math.floor(Date.now() / 1000);
    expect(claims).toMatchObject({
      iss: live.url,
      aud: APP.client_id,
      sub: userId,
      nonce: asked.nonce,
    });
    expect(claims.iat).toBeLessThanOrEqual(now + 5);
    expect(claims.exp).toBeGreaterThan(now);
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info.sub).toBe(userId);
  });

  // Relying parties this project did not write, each verifying the ID token its own way.
  it.each([
    ['Authlib (Python)', signInWithAuthlib, 'Grace Hopper'],
    ['go-oidc (Go)', signInWithGoOidc, 'Ken Thompson'],
  ])(
    'oidcc-server with %s: signs in with PKCE and verifies the ID token its own way',
    async (_rp, signIn, name) => {
      const { cookie, userId, account } = await oidc.signedInBrowser(name);
      const signedIn = await signIn({
        issuer: live.url,
        clientId: APP.client_id,
        clientSecret: APP.client_secret,
        redirectUri: REDIRECT,
        sessionCookie: cookie,
      });
      expect(signedIn.id_token).toMatchObject({ iss: live.url, aud: APP.client_id, sub: userId });
      expect(signedIn.userinfo).toMatchObject({ sub: userId, email: account.email, name });
    },
  );

  it('oidcc-server-client-secret-post: the code redeemed with client_secret_post', async () => {
    const postConfig = await oidc.discover(POST_APP.client_id, POST_APP.client_secret);
    const { browser, userId } = await oidc.signedInBrowser();
    const asked = await oidc.authorize(postConfig, POST_APP.redirect_uris[0]);
    const callback = await oidc.follow(browser, asked.url);
    const tokens = await oidc.redeem(postConfig, callback, asked);
    expect(tokens.claims()).toMatchObject({ sub: userId, aud: POST_APP.client_id });
  });

  it('oidcc-response-type-missing: an error, never a code', async () => {
    const { browser } = await oidc.signedInBrowser();
    const asked = await oidc.authorize(config, REDIRECT);
    asked.url.searchParams.delete('response_type');
    const callback = await oidc.follow(browser, asked.url);
    expectErrorAtApp(callback, asked.state, ['invalid_request', 'unsupported_response_type']);
  });

  it('oidcc-idtoken-signature and oidcc-idtoken-rs256: RS256 by default, with a kid of the published keys', async () => {
    const { tokens } = await tokensFor();
    const header = decodeProtectedHeader(tokens.id_token!);
    expect(header.alg).toBe('RS256');
    expect(header.kid).toEqual(expect.any(String));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, {
      issuer: live.url,
      audience: APP.client_id,
      algorithms: ['RS256'],
    });
    expect(payload.sub).toEqual(expect.any(String));
  });

  describe('userinfo', () => {
    it('oidcc-userinfo-get: the access token in the Authorization header of a GET', async () => {
      const { tokens, userId } = await tokensFor();
      const info = await request(live.url)
        .get('/oauth2/userinfo')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(200);
      expect(info.body.sub).toBe(userId);
    });

    it('oidcc-userinfo-post-header: the access token in the Authorization header of a POST', async () => {
      const { tokens, userId } = await tokensFor();
      const info = await request(live.url)
        .post('/oauth2/userinfo')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(200);
      expect(info.body.sub).toBe(userId);
    });

    it('oidcc-userinfo-post-body: the access token in the form body of a POST', async () => {
      const { tokens, userId } = await tokensFor();
      const info = await request(live.url)
        .post('/oauth2/userinfo')
        .type('form')
        .send({ access_token: tokens.access_token })
        .expect(200);
      expect(info.body.sub).toBe(userId);
    });
  });

  it('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
    const { claims, userId } = await tokensFor({ nonce: false });
    expect(claims.sub).toBe(userId);
    expect(claims).not.toHaveProperty('nonce');
  });

  describe('scopes', () => {
    /** The claims userinfo returns for `scope`. */
    async function userinfoFor(scope: string) {
      const { tokens, userId, account } = await tokensFor({ scope });
      const info = await client.fetchUserInfo(config, tokens.access_token, userId!);
      return { info, account: account! };
    }

    it('oidcc-scope-profile: name and preferred_username', async () => {
      const { info } = await userinfoFor('openid profile');
      expect(info).toMatchObject({ name: 'Ada Lovelace', preferred_username: expect.any(String) });
      expect(info).not.toHaveProperty('email');
    });

    it('oidcc-scope-email: email and email_verified', async () => {
      const { info, account } = await userinfoFor('openid email');
      expect(info).toMatchObject({ email: account.email, email_verified: false });
      expect(info).not.toHaveProperty('name');
    });

    it('oidcc-scope-all: every scope offered at once (address and phone are not, and are ignored)', async () => {
      const { info, account } = await userinfoFor('openid profile email address phone');
      expect(info).toMatchObject({ email: account.email, name: 'Ada Lovelace' });
      expect(info).not.toHaveProperty('address');
      expect(info).not.toHaveProperty('phone_number');
    });

    it('oidcc-ensure-other-scope-order-succeeds: "email openid" is the same request', async () => {
      const { info, account } = await userinfoFor('email openid');
      expect(info.email).toBe(account.email);
    });
  });

  it.each([
    ['oidcc-display-page', { display: 'page' }],
    ['oidcc-display-popup', { display: 'popup' }],
    ['oidcc-login-hint', { login_hint: 'someone@example.test' }],
    ['oidcc-ui-locales', { ui_locales: 'fr-CA fr en' }],
    ['oidcc-claims-locales', { claims_locales: 'fr-CA fr en' }],
    ['oidcc-ensure-request-with-unknown-parameter-succeeds', { extra: 'foobar' }],
    ['oidcc-ensure-request-with-acr-values-succeeds', { acr_values: '1 2' }],
  ])('%s: the request succeeds', async (_module, extra) => {
    const { claims, userId } = await tokensFor(extra);
    expect(claims.sub).toBe(userId);
  });

  describe('prompt, max_age and id_token_hint', () => {
    it('oidcc-prompt-login: the person signs in again, and auth_time moves forward', async () => {
      const { browser, account, userId } = await oidc.signedInBrowser();
      await movedBack(userId, 2);
      const first = await oidc.authorize(config, REDIRECT, { max_age: '10000' });
      const firstClaims = (
        await oidc.redeem(config, await oidc.follow(browser, first.url), first)
      ).claims()!;

      const asked = await oidc.authorize(config, REDIRECT, { prompt: 'login' });
      const atLogin = await oidc.follow(browser, asked.url);
      expect(atLogin.pathname).toBe('/login');
      await oidc.signInAgain(browser, account.email);
      const claims = (
        await oidc.redeem(config, await oidc.returnFrom(browser, atLogin), asked)
      ).claims()!;
      expect(claims.sub).toBe(firstClaims.sub);
      expect(claims.auth_time).toBeGreaterThan(firstClaims.auth_time!);
    });

    it('oidcc-prompt-none-not-logged-in: login_required at the redirect_uri, with the state', async () => {
      const browser = request.agent(live.url);
      const asked = await oidc.authorize(config, REDIRECT, { prompt: 'none' });
      const callback = await oidc.follow(browser, asked.url);
      expectErrorAtApp(callback, asked.state, [
        'login_required',
        'interaction_required',
        'consent_required',
        'account_selection_required',
      ]);
    });

    it('oidcc-prompt-none-logged-in: a code at once, for the same person', async () => {
      const { browser, userId } = await oidc.signedInBrowser();
      const asked = await oidc.authorize(config, REDIRECT, { prompt: 'none' });
      const claims = (
        await oidc.redeem(config, await oidc.follow(browser, asked.url), asked)
      ).claims()!;
      expect(claims.sub).toBe(userId);
    });

    it('oidcc-max-age-1: a sign-in older than a second is asked again; auth_time says when', async () => {
      const { browser, account, userId } = await oidc.signedInBrowser();
      // The suite waits a second; the sign-in is moved two into the past instead.
      await movedBack(userId, 2);
      const first = await oidc.authorize(config, REDIRECT, { max_age: '10000' });
      const firstClaims = (
        await oidc.redeem(config, await oidc.follow(browser, first.url), first)
      ).claims()!;

      const asked = await oidc.authorize(config, REDIRECT, { max_age: '1' });
      const atLogin = await oidc.follow(browser, asked.url);
      expect(atLogin.pathname).toBe('/login');
      await oidc.signInAgain(browser, account.email);
      const tokens = await oidc.redeem(config, await oidc.returnFrom(browser, atLogin), asked, {
        maxAge: 1,
      });
      expect(tokens.claims()!.auth_time).toBeGreaterThan(firstClaims.auth_time!);
    });

    it('oidcc-max-age-10000: a recent sign-in is not asked again, and auth_time is in the ID token', async () => {
      const { claims } = await tokensFor({ max_age: '10000' });
      expect(claims.auth_time).toBeGreaterThan(Math.floor(Date.now() / 1000) - 60);
    });

    it('oidcc-id-token-hint: prompt=none with the ID token as hint signs the same person in', async () => {
      const { browser, tokens, userId } = await tokensFor();
      const asked = await oidc.authorize(config, REDIRECT, {
        prompt: 'none',
        id_token_hint: tokens.id_token!,
      });
      const claims = (
        await oidc.redeem(config, await oidc.follow(browser!, asked.url), asked)
      ).claims()!;
      expect(claims.sub).toBe(userId);
    });

    /** Moves a person's sign-ins `seconds` into the past, as if that long had gone by. */
    async function movedBack(userId: string, seconds: number) {
      const sessions = live.t.db.collection('sessions');
      const found = await sessions.find({ userId: new Types.ObjectId(userId) }).toArray();
      expect(found.length).toBeGreaterThan(0);
      for (const session of found) {
        const authenticatedAt = session.authenticatedAt as Date;
        await sessions.updateOne(
          { _id: session._id },
          { $set: { authenticatedAt: new Date(authenticatedAt.getTime() - seconds * 1000) } },
        );
      }
    }
  });

  describe('redirect_uri', () => {
    it('oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri gets an error page here, no redirect', async () => {
      const { browser } = await oidc.signedInBrowser();
      const asked = await oidc.authorize(config, 'http://rp.example.test/elsewhere');
      const page = await browser.get(asked.url.pathname + asked.url.search);
      expect(page.status).toBe(400);
      expect(page.headers.location).toBeUndefined();
      expect(page.text).toContain('redirect_uri');
    });

    it('oidcc-ensure-redirect-uri-in-authorization-request: without redirect_uri, an error page or invalid_request, never a code', async () => {
      const { browser } = await oidc.signedInBrowser();
      const asked = await oidc.authorize(config, REDIRECT);
      asked.url.searchParams.delete('redirect_uri');
      const page = await browser.get(asked.url.pathname + asked.url.search);
      expect(page.status).toBe(400);
      expect(page.headers.location).toBeUndefined();
      expect(page.text).toContain('redirect_uri');
    });
  });

  describe('codes', () => {
    /** A code redeemed once, then again; what the second answer and the first tokens say. */
    async function reuse(before?: (code: string) => Promise<void>) {
      const { tokens, callback, userId, asked } = await tokensFor();
      const code = callback.searchParams.get('code')!;
      await before?.(code);
      const again = await request(live.url)
        .post('/oauth2/token')
        .auth(APP.client_id, APP.client_secret)
        .type('form')
        .send({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: asked.verifier,
        });
      const info = await request(live.url)
        .get('/oauth2/userinfo')
        .set('Authorization', `Bearer ${tokens.access_token}`);
      return { again, info, userId };
    }

    it('oidcc-codereuse: a code used twice is refused with invalid_grant, and what it issued is revoked', async () => {
      const { again, info } = await reuse();
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
      expect(info.status).toBe(401);
    });

    it('oidcc-codereuse-30seconds: the same 30 seconds after the first use (the stored code moved 30 s back)', async () => {
      const { again, info } = await reuse(async (code) => {
        // The suite waits 30 seconds; the code's record is moved back by as much instead (its
        // expiry stays where it was, as it would after a wait).
        const codes = live.t.db.collection('oidc_authorization_code');
        const record = await codes.findOne({ _id: sha256(code) as never });
        const payload = record!.payload as { iat: number; consumed: number };
        expect(payload.consumed).toEqual(expect.any(Number));
        await codes.updateOne(
          { _id: sha256(code) as never },
          { $set: { 'payload.iat': payload.iat - 30, 'payload.consumed': payload.consumed - 30 } },
        );
      });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
      expect(info.status).toBe(401);
    });
  });

  describe('request objects, request_uri and claims', () => {
    let metadata: Record<string, unknown>;
    beforeAll(async () => {
      metadata = (await request(live.url).get('/.well-known/openid-configuration').expect(200))
        .body as Record<string, unknown>;
    });

    /** An unsigned request object (alg none) carrying the request's parameters. */
    function unsignedRequestObject(parameters: Record<string, string>) {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${encode({ alg: 'none', typ: 'oauth-authz-req+jwt' })}.${encode({
        iss: APP.client_id,
        aud: live.url,
        ...parameters,
      })}.`;
    }

    it('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: rejected as unsupported, as discovery says', async () => {
      expect(metadata.request_parameter_supported ?? false).toBe(false);
      const { browser } = await oidc.signedInBrowser();
      const asked = await oidc.authorize(config, REDIRECT);
      const inside = Object.fromEntries(asked.url.searchParams);
      asked.url.searchParams.set('request', unsignedRequestObject(inside));
      const callback = await oidc.follow(browser, asked.url);
      expectErrorAtApp(callback, asked.state, ['request_not_supported']);
    });

    it('oidcc-ensure-request-object-with-redirect-uri: the same, with the redirect_uri only inside the object', async () => {
      const { browser } = await oidc.signedInBrowser();
      const asked = await oidc.authorize(config, REDIRECT);
      const inside = Object.fromEntries(asked.url.searchParams);
      asked.url.searchParams.delete('redirect_uri');
      asked.url.searchParams.set('request', unsignedRequestObject(inside));
      const page = await browser.get(asked.url.pathname + asked.url.search);
      // Not read, so no redirect_uri: never a code, no redirect anywhere.
      expect(page.status).toBe(400);
      expect(page.headers.location).toBeUndefined();
    });

    it.each(['oidcc-request-uri-unsigned', 'oidcc-request-uri-signed'])(
      '%s: rejected as unsupported (request_uri only for pushed requests), as discovery says',
      async () => {
        expect(metadata.request_uri_parameter_supported).toBe(false);
        const { browser } = await oidc.signedInBrowser();
        const asked = await oidc.authorize(config, REDIRECT);
        asked.url.searchParams.set('request_uri', 'http://rp.example.test/request.jwt');
        const callback = await oidc.follow(browser, asked.url);
        expect(at(callback)).toBe(REDIRECT);
        expect(callback.searchParams.get('code')).toBeNull();
        expect(callback.searchParams.get('error')).toEqual(expect.any(String));
      },
    );

    it('oidcc-claims-essential: a claims request for an essential name succeeds (the parameter is not offered, so it is ignored)', async () => {
      expect(metadata.claims_parameter_supported ?? false).toBe(false);
      const { claims, userId } = await tokensFor({
        scope: 'openid',
        claims: JSON.stringify({ userinfo: { name: { essential: true } } }),
      });
      expect(claims.sub).toBe(userId);
    });
  });

  it('oidcc-refresh-token: the refresh token gives a new ID token for the same person and app; another app cannot use it', async () => {
    const { tokens, claims } = await tokensFor({ scope: 'openid email offline_access' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.claims()).toMatchObject({
      iss: claims.iss,
      sub: claims.sub,
      aud: APP.client_id,
    });
    const other = await oidc.discover(OTHER_APP.client_id, OTHER_APP.client_secret);
    await expect(client.refreshTokenGrant(other, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('oidcc-ensure-post-request-succeeds: the authorization request by POST', async () => {
    const { browser, userId } = await oidc.signedInBrowser();
    const asked = await oidc.authorize(config, REDIRECT);
    const posted = await browser
      .post('/oauth2/authorize')
      .type('form')
      .send(asked.url.searchParams.toString())
      .expect(303);
    const callback = await oidc.follow(browser, new URL(posted.headers.location, live.url));
    expect((await oidc.redeem(config, callback, asked)).claims()?.sub).toBe(userId);
  });
});
