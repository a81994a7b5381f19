import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import request from 'supertest';
import { Types } from 'mongoose';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, formToken, oidcBrowsing } from '../support/oidc-browser';
import { SoftAuthenticator } from '../support/webauthn';
import { DEVICE_CODE_LIMITS } from '../../src/web/device-page.controller';
import { totpCodeOf } from '../../src/sign-in/two-step/totp';

/** A CLI: a public client that only uses the device flow (no redirect_uris). */
const CLI = {
  client_id: 'notes-cli',
  client_name: 'Notes CLI',
  grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
};
/** A TV app with a secret, which may sign in through a browser too. */
const TV = {
  client_id: 'notes-tv',
  client_secret: 'a-secret-of-the-notes-tv-app-that-is-long-enough',
  redirect_uris: ['http://tv.example.test/callback'],
  grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
};
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** An API of OIDC_RESOURCES, and a CLI that may call it (read only) as its person. */
const ORDERS = {
  indicator: 'https://orders.example.test',
  scopes: ['orders:read', 'orders:write'],
  accessTokenTtlSeconds: 300,
};
const ORDERS_CLI = {
  client_id: 'orders-cli',
  client_name: 'Orders CLI',
  grant_types: [DEVICE_GRANT, 'refresh_token'],
  scope: 'openid email offline_access orders:read',
};

/**
 * Device authorization (RFC 8628) against the real provider: the device's side through
 * openid-client (initiateDeviceAuthorization, pollDeviceAuthorizationGrant), the person's side
 * through the /device page over HTTP with its CSRF token.
 */
describe('OpenID Connect provider: device authorization', () => {
  let live: LiveApp;

  beforeAll(async () => {
    live = await startLiveApp({
      env: {
        OIDC_CLIENTS: JSON.stringify([CLI, TV, ORDERS_CLI]),
        OIDC_RESOURCES: JSON.stringify([ORDERS]),
      },
    });
  });
  afterAll(() => live.close());
  // Every browser here comes from one address, whose limit (30 codes in 15 minutes) the tests
  // together would reach: each test starts as a quarter of an hour later would, the limits test
  // included.
  beforeEach(() =>
    live.t.db.collection('rate_limits').deleteMany({ _id: /^device-codes:address:/ }),
  );

  const oidc = oidcBrowsing(() => live.url);
  const { discover, signedInBrowser } = oidc;

  /** The /device page's CSRF token, from the form. */
  async function csrfOf(browser: Browser, path = '/device') {
    const page = await browser.get(path).expect(200);
    return { token: formToken(page.text), page };
  }

  /** Enters the user code, then (when given) approves or denies: the last page. */
  async function enter(browser: Browser, userCode: string, decision?: 'approve' | 'deny') {
    const { token } = await csrfOf(browser);
    const confirm = await browser
      .post('/device')
      .type('form')
      .send({ _csrf: token, user_code: userCode });
    if (!decision || confirm.status !== 200) return confirm;
    return browser
      .post('/device')
      .type('form')
      .send({ _csrf: token, user_code: userCode, decision });
  }

  /** The provider's published keys, as an API verifies its tokens with. */
  const publishedKeys = async () =>
    createLocalJWKSet(
      (await request(live.url).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet,
    );

  /**
   * Polls for the device's tokens (openid-client, with `parameters` for the token requests) while
   * `decide` runs; stopped whatever happens.
   */
  async function tokensAfter(
    config: client.Configuration,
    started: client.DeviceAuthorizationResponse,
    decide: () => Promise<void>,
    parameters?: Record<string, string>,
  ) {
    const stop = new AbortController();
    const polling = client.pollDeviceAuthorizationGrant(config, started, parameters, {
      signal: stop.signal,
    });
    polling.catch(() => undefined);
    try {
      await decide();
      return await polling;
    } finally {
      stop.abort();
    }
  }

  /** A raw poll of the token endpoint by the public CLI. */
  const poll = (deviceCode: string) =>
    request(live.url)
      .post('/oauth2/token')
      .type('form')
      .send({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLI.client_id });

  it('advertises the device authorization endpoint, which answers with codes and an interval', async () => {
    const config = await discover(CLI.client_id);
    expect(config.serverMetadata()).toMatchObject({
      device_authorization_endpoint: `${live.url}/oauth2/device_authorize`,
    });
    expect(config.serverMetadata().grant_types_supported).toContain(DEVICE_GRANT);
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid email' });
    expect(started).toMatchObject({
      verification_uri: `${live.url}/device`,
      verification_uri_complete: `${live.url}/device?user_code=${started.user_code}`,
      expires_in: 600,
      interval: 5,
    });
    // Short and typo-tolerant: 8 letters of the library's base-20 alphabet, as XXXX-XXXX.
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    // A GET is not how it is called.
    await request(live.url).get('/oauth2/device_authorize').expect(405);
  });

  it('signs the device in as the person who approves on the /device page, with amr as for the code flow', async () => {
    const { browser, userId } = await signedInBrowser();
    const config = await discover(CLI.client_id);
    const started = await client.initiateDeviceAuthorization(config, {
      scope: 'openid email offline_access',
    });
    // Polling from the start, as the CLI does; stopped whatever happens.
    const stop = new AbortController();
    const polling = client.pollDeviceAuthorizationGrant(config, started, undefined, {
      signal: stop.signal,
    });
    polling.catch(() => undefined);
    let tokens: Awaited<typeof polling>;
    try {
      // Typed in lower case without the dash: the same code.
      const typed = started.user_code.replace('-', '').toLowerCase();
      const confirm = await enter(browser, typed);
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('Notes CLI');
      expect(confirm.text).toContain('See your email address');
      expect(confirm.text).toContain(started.user_code);
      const approved = await enter(browser, typed, 'approve');
      expect(approved.status).toBe(200);
      expect(approved.text).toContain('Device connected');
      tokens = await polling;
    } finally {
      stop.abort();
    }
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ sub: userId, aud: CLI.client_id, amr: ['pwd'] });
    const jwks = (await request(live.url).get('/.well-known/jwks.json').expect(200))
      .body as JSONWebKeySet;
    await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks), { issuer: live.url });
    expect(await client.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({
      sub: userId,
      email: expect.any(String),
    });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    // The user code is used once: entered again, it was already used.
    const again = await enter(browser, started.user_code);
    expect(again.status).toBe(410);
    expect(again.text).toContain('already used');
    // So is the device code: polled again, it is refused (and what it issued is revoked).
    expect((await poll(started.device_code).expect(400)).body.error).toBe('invalid_grant');
    await expect(client.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
  });

  it('answers authorization_pending, then slow_down to a device polling too fast, then access_denied once the person denies', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(TV.client_id, TV.client_secret);
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const tvPoll = () =>
      request(live.url)
        .post('/oauth2/token')
        .auth(TV.client_id, TV.client_secret)
        .type('form')
        .send({ grant_type: DEVICE_GRANT, device_code: started.device_code });
    expect((await tvPoll().expect(400)).body.error).toBe('authorization_pending');
    expect((await tvPoll().expect(400)).body.error).toBe('slow_down');
    const denied = await enter(browser, started.user_code, 'deny');
    expect(denied.status).toBe(200);
    expect(denied.text).toContain('Request denied');
    await expect(client.pollDeviceAuthorizationGrant(config, started)).rejects.toMatchObject({
      error: 'access_denied',
    });
  });

  it('answers expired_token to a device whose code expired, and the page says it expired', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(CLI.client_id);
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    // As ten minutes passing would: the code's expiry moved into the past.
    const codes = live.t.db.collection('oidc_device_code');
    const { modifiedCount } = await codes.updateOne(
      { _id: createHash('sha256').update(started.device_code).digest('base64url') } as object,
      { $set: { 'payload.exp': Math.floor(Date.now() / 1000) - 1 } },
    );
    expect(modifiedCount).toBe(1);
    const page = await enter(browser, started.user_code);
    expect(page.status).toBe(410);
    expect(page.text).toContain('expired');
    expect((await poll(started.device_code).expect(400)).body.error).toBe('expired_token');
  });

  it('decides a code once when two approvals race, and sends someone not signed in to sign in first', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(CLI.client_id);
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const { token } = await csrfOf(browser);
    const decide = () =>
      browser
        .post('/device')
        .type('form')
        .send({ _csrf: token, user_code: started.user_code, decision: 'approve' });
    const statuses = (await Promise.all([decide(), decide(), decide()])).map((r) => r.status);
    expect(statuses.sort()).toEqual([200, 410, 410]);

    const stranger = request.agent(live.url);
    const link = `/device?user_code=${started.user_code}`;
    const sent = await stranger.get(link).expect(303);
    const login = new URL(sent.headers.location, live.url);
    expect(login.pathname).toBe('/login');
    expect(login.searchParams.get('returnTo')).toBe(link);
    // Back with the code filled in, once signed in.
    const { page } = await csrfOf(browser, link);
    expect(page.text).toContain(`value="${started.user_code}"`);
  });

  it('gives a device that asks with resource= a JWT access token for that API, with the scopes it asked for and may have', async () => {
    const { browser, userId } = await signedInBrowser();
    const config = await discover(ORDERS_CLI.client_id);
    // Beyond what the app may ask for: refused when the device asks, as at the authorization endpoint.
    await expect(
      client.initiateDeviceAuthorization(config, {
        scope: 'openid orders:write',
        resource: ORDERS.indicator,
      }),
    ).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(
      client.initiateDeviceAuthorization(config, {
        scope: 'openid orders:read',
        resource: 'https://unknown.example.test',
      }),
    ).rejects.toMatchObject({ error: 'invalid_target' });

    const started = await client.initiateDeviceAuthorization(config, {
      scope: 'openid email offline_access orders:read',
      resource: ORDERS.indicator,
    });
    const tokens = await tokensAfter(
      config,
      started,
      async () => {
        const confirm = await enter(browser, started.user_code);
        expect(confirm.status).toBe(200);
        expect(confirm.text).toContain('See your email address');
        expect(confirm.text).toContain(
          `Use <strong>${ORDERS.indicator}</strong> as you: orders:read`,
        );
        expect(confirm.text).not.toContain('orders:write');
        expect((await enter(browser, started.user_code, 'approve')).status).toBe(200);
      },
      { resource: ORDERS.indicator },
    );
    // Verified as the API does, locally against the published keys.
    const { payload, protectedHeader } = await jwtVerify(
      tokens.access_token,
      await publishedKeys(),
      { issuer: live.url, audience: ORDERS.indicator, typ: 'at+jwt' },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({
      aud: ORDERS.indicator,
      scope: 'orders:read',
      sub: userId,
      client_id: ORDERS_CLI.client_id,
    });
    expect(payload.exp! - payload.iat!).toBe(ORDERS.accessTokenTtlSeconds);
    expect(tokens.claims()).toMatchObject({ sub: userId, aud: ORDERS_CLI.client_id });
    // It is the API's token, not one for userinfo.
    await request(live.url)
      .get('/oauth2/userinfo')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(401);

    // The refresh token gets the API's tokens again, and, naming no API, a token for userinfo.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, {
      resource: ORDERS.indicator,
    });
    const again = await jwtVerify(refreshed.access_token, await publishedKeys(), {
      issuer: live.url,
      audience: ORDERS.indicator,
    });
    expect(again.payload).toMatchObject({ scope: 'orders:read', sub: userId });
    const plain = await client.refreshTokenGrant(config, refreshed.refresh_token!);
    expect(await client.fetchUserInfo(config, plain.access_token, userId)).toMatchObject({
      sub: userId,
      email: expect.any(String),
    });
  });

  it('gives a device that asks for an API alone (no openid) its JWT access token without naming it again', async () => {
    const { browser, userId } = await signedInBrowser();
    const config = await discover(ORDERS_CLI.client_id);
    const started = await client.initiateDeviceAuthorization(config, {
      scope: 'orders:read',
      resource: ORDERS.indicator,
    });
    const tokens = await tokensAfter(config, started, async () => {
      const confirm = await enter(browser, started.user_code);
      expect(confirm.text).toContain(
        `Use <strong>${ORDERS.indicator}</strong> as you: orders:read`,
      );
      expect(confirm.text).not.toContain('Know who you are');
      expect((await enter(browser, started.user_code, 'approve')).status).toBe(200);
    });
    expect(tokens.id_token).toBeUndefined();
    const { payload } = await jwtVerify(tokens.access_token, await publishedKeys(), {
      issuer: live.url,
      audience: ORDERS.indicator,
    });
    expect(payload).toMatchObject({ scope: 'orders:read', sub: userId });
  });

  describe('acr_values=mfa', () => {
    const users = () => live.t.db.collection('users');

    /** A member who turned two-step sign-in on (their session still of one factor). */
    async function withTwoStep() {
      const { browser, userId } = await signedInBrowser();
      const setUp = await browser.post('/me/two-step').expect(200);
      const secret = setUp.body.secret as string;
      await browser
        .post('/me/two-step/confirm')
        .send({ code: totpCodeOf(secret) })
        .expect(200);
      // The last code's time step is long gone: the next code is a fresh one.
      await users().updateOne(
        { _id: new Types.ObjectId(userId) },
        { $unset: { 'twoStep.lastStep': 1 } },
      );
      return { browser, userId, secret };
    }

    /** A device asking for two factors. */
    async function mfaDevice() {
      const config = await discover(CLI.client_id);
      const started = await client.initiateDeviceAuthorization(config, {
        scope: 'openid',
        acr_values: 'mfa',
      });
      return { config, started };
    }

    it('asks someone signed in with one factor and two-step sign-in on for the code before approving; the device gets acr mfa', async () => {
      const { browser, userId, secret } = await withTwoStep();
      const { config, started } = await mfaDevice();
      const tokens = await tokensAfter(config, started, async () => {
        const confirm = await enter(browser, started.user_code);
        expect(confirm.status).toBe(200);
        expect(confirm.text).toContain('asks for a stronger sign-in');
        expect(confirm.text).toContain('Continue to approve');

        // Approving goes to the second step first, and decides nothing yet.
        const approving = await enter(browser, started.user_code, 'approve');
        expect(approving.status).toBe(303);
        const secondStep = new URL(approving.headers.location, oidc.issuer());
        expect(secondStep.pathname).toBe('/login/second-factor');
        const back = secondStep.searchParams.get('returnTo');
        expect(back).toBe(`/device?user_code=${started.user_code}`);
        expect((await poll(started.device_code)).body.error).toMatch(
          /^(authorization_pending|slow_down)$/,
        );

        const page = await browser.get(secondStep.pathname + secondStep.search).expect(200);
        const token = formToken(page.text);
        const answered = await browser
          .post('/login/second-factor')
          .type('form')
          .send({ _csrf: token, code: totpCodeOf(secret), returnTo: back });
        expect(answered.status).toBe(303);
        expect(new URL(answered.headers.location, oidc.issuer()).href).toBe(
          new URL(back!, oidc.issuer()).href,
        );

        // Back with two factors: the page no longer asks, and approving approves.
        const confirmed = await enter(browser, started.user_code);
        expect(confirmed.text).not.toContain('stronger sign-in');
        const approved = await enter(browser, started.user_code, 'approve');
        expect(approved.status).toBe(200);
        expect(approved.text).toContain('Device connected');
      });
      expect(tokens.claims()).toMatchObject({
        sub: userId,
        amr: ['pwd', 'otp', 'mfa'],
        acr: 'mfa',
      });
    });

    it('sends someone with a passkey to sign in with it; the device gets acr mfa', async () => {
      const { browser, userId } = await signedInBrowser();
      const authenticator = new SoftAuthenticator(live.url);
      const options = await browser.post('/me/passkeys/options').expect(200);
      await browser
        .post('/me/passkeys')
        .send({ response: authenticator.create(options.body) })
        .expect(201);
      const { config, started } = await mfaDevice();
      const tokens = await tokensAfter(config, started, async () => {
        const confirm = await enter(browser, started.user_code);
        expect(confirm.text).toContain('sign in with a passkey');
        const approving = await enter(browser, started.user_code, 'approve');
        expect(approving.status).toBe(303);
        const login = new URL(approving.headers.location, oidc.issuer());
        expect(login.pathname).toBe('/login');
        expect(login.searchParams.get('notice')).toBe('two-factors-asked');
        expect(login.searchParams.get('returnTo')).toBe(`/device?user_code=${started.user_code}`);
        // Still signed in with one factor, approving still asks.
        const stillOne = await enter(browser, started.user_code, 'approve');
        expect(stillOne.status).toBe(303);

        const passkeyOptions = await browser.post('/auth/passkey/options').expect(200);
        await browser
          .post('/auth/passkey')
          .send({ response: authenticator.get(passkeyOptions.body) })
          .expect(200);
        expect((await enter(browser, started.user_code, 'approve')).status).toBe(200);
      });
      expect(tokens.claims()).toMatchObject({ sub: userId, acr: 'mfa' });
      expect(tokens.claims()?.amr).toContain('mfa');
    });

    it('lets someone who owes the second factor deny without giving it', async () => {
      const { browser } = await withTwoStep();
      const { started } = await mfaDevice();
      const denied = await enter(browser, started.user_code, 'deny');
      expect(denied.status).toBe(200);
      expect(denied.text).toContain('Request denied');
      expect((await poll(started.device_code).expect(400)).body.error).toBe('access_denied');
    });

    it('approves at once for an account that can give only one factor: the device sees no acr', async () => {
      const { browser, userId } = await signedInBrowser();
      const { config, started } = await mfaDevice();
      const tokens = await tokensAfter(config, started, async () => {
        const confirm = await enter(browser, started.user_code);
        expect(confirm.text).not.toContain('stronger sign-in');
        expect((await enter(browser, started.user_code, 'approve')).status).toBe(200);
      });
      const claims = tokens.claims()!;
      expect(claims).toMatchObject({ sub: userId, amr: ['pwd'] });
      expect(claims.acr).toBeUndefined();
    });
  });

  it('refuses a form without its CSRF token', async () => {
    const { browser } = await signedInBrowser();
    await csrfOf(browser);
    await browser.post('/device').type('form').send({ user_code: 'BCDF-GHJK' }).expect(403);
  });

  it('limits the codes one session enters: wrong guesses stop at the limit, a right code too', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(CLI.client_id);
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const { token } = await csrfOf(browser);
    const guess = (userCode: string) =>
      browser.post('/device').type('form').send({ _csrf: token, user_code: userCode });
    for (let attempt = 0; attempt < DEVICE_CODE_LIMITS.perSession; attempt++) {
      const wrong = await guess('BBBB-BBBB');
      expect(wrong.status).toBe(400);
      expect(wrong.text).toContain('not right');
    }
    const limited = await guess(started.user_code);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.text).not.toContain('Notes CLI');
    // Another person's session is not held back by it.
    const other = await signedInBrowser();
    expect((await enter(other.browser, started.user_code)).status).toBe(200);
  });

  it('keeps user codes as keyed hashes: the database holds neither the user code nor the device code', async () => {
    const config = await discover(CLI.client_id);
    const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const records = await live.t.db.collection('oidc_device_code').find().toArray();
    expect(records.length).toBeGreaterThan(0);
    const raw = JSON.stringify(records);
    const normalized = started.user_code.replace('-', '');
    for (const secret of [started.device_code, started.user_code, normalized]) {
      expect(raw).not.toContain(secret);
    }
  });
});
