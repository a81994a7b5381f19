/**
 * The provider emulators on their own, without the app: the raw wire shapes, and the real passport
 * strategies driven through the whole dance against them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { Strategy as PassportStrategy, StrategyCreatedStatic } from 'passport';
import { Strategy as FacebookStrategy } from 'passport-facebook';
import { Strategy as GitHubStrategy } from 'passport-github2';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import { Strategy as OidcStrategy } from 'passport-openidconnect';
import request, { Response } from 'supertest';
import {
  EmulatedProvider,
  EmulatedUser,
  EmulatorOptions,
  OAuthEmulator,
  OidcIssuer,
  signInAtProvider,
  startFacebookEmulator,
  startGitHubEmulator,
  startGoogleEmulator,
  startOidcIssuer,
  verifyJwtWithJose,
} from '../support/providers';

const PUBLIC_URL = 'http://localhost:3000';

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function callbackFor(provider: string): string {
  return `${PUBLIC_URL}/auth/${provider}/callback`;
}

interface Authenticating {
  authenticate(req: Request, options: object): void;
}

type Outcome =
  | { kind: 'success'; user: unknown; info?: object }
  | { kind: 'fail'; challenge: unknown; status?: number }
  | { kind: 'error'; error: Error }
  | { kind: 'redirect'; url: string }
  | { kind: 'pass' };

/** One `authenticate` call of a passport strategy, as passport's middleware would make it. */
function runStrategy(
  strategy: PassportStrategy,
  req: { query: Record<string, string>; session: Record<string, unknown> },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const actions: StrategyCreatedStatic = {
      success: (user, info) => resolve({ kind: 'success', user, info }),
      fail: (challenge, status) => resolve({ kind: 'fail', challenge, status }),
      error: (error: Error) => resolve({ kind: 'error', error }),
      redirect: (url) => resolve({ kind: 'redirect', url }),
      pass: () => resolve({ kind: 'pass' }),
    };
    // What passport's middleware does: a per-request object inheriting the strategy, plus actions.
    const bound = Object.assign(Object.create(strategy) as Authenticating, actions);
    bound.authenticate({ headers: {}, ...req } as unknown as Request, {});
  });
}

/** authorize → (emulator) → callback → token → profile, all by the strategy itself. */
async function fullStrategyDance(
  strategy: PassportStrategy,
  login?: Parameters<typeof signInAtProvider>[1],
): Promise<Outcome> {
  const session: Record<string, unknown> = {};
  const start = await runStrategy(strategy, { query: {}, session });
  if (start.kind !== 'redirect') throw new Error(`expected a redirect, got ${start.kind}`);
  const callback = new URL(await signInAtProvider(start.url, login));
  return runStrategy(strategy, { query: Object.fromEntries(callback.searchParams), session });
}

const verifyProfile = (
  accessToken: string,
  _refreshToken: string,
  profile: unknown,
  done: (error: null, user: object) => void,
): void => done(null, { accessToken, profile });

interface ProviderCase {
  provider: EmulatedProvider;
  start: (options?: EmulatorOptions) => Promise<OAuthEmulator>;
  user: EmulatedUser;
  scope: string;
  /** The profile request as the strategy makes it. */
  getProfile: (e: OAuthEmulator, token: string) => request.Test;
  expectToken: (body: Record<string, unknown>) => void;
  expectProfile: (body: Record<string, unknown>) => void;
  /** The provider's own name for a bad/used code, from a token response. */
  grantError: (res: Response) => unknown;
  expectedGrantError: unknown;
}

const cases: ProviderCase[] = [
  {
    provider: 'google',
    start: (options) => startGoogleEmulator(options),
    user: { id: '10769150350006150715113082367', name: 'Ada Lovelace', email: 'ada@gmail.com' },
    scope: 'profile email',
    // passport-google-oauth20 passes the token as ?access_token=, not a header.
    getProfile: (e, token) =>
      request(e.url).get(`${pathOf(e.endpoints.profile)}?access_token=${token}`),
    expectToken: (body) =>
      expect(body).toEqual({
        access_token: expect.stringMatching(/^ya29\./),
        expires_in: 3599,
        token_type: 'Bearer',
        scope: 'profile email',
      }),
    expectProfile: (body) =>
      expect(body).toEqual({
        sub: '10769150350006150715113082367',
        name: 'Ada Lovelace',
        given_name: 'Ada',
        family_name: 'Lovelace',
        picture: expect.stringMatching(/^https:\/\//),
        email: 'ada@gmail.com',
        email_verified: true,
      }),
    grantError: (res) => [res.status, (res.body as { error?: string }).error],
    expectedGrantError: [400, 'invalid_grant'],
  },
  {
    provider: 'github',
    start: (options) => startGitHubEmulator(options),
    user: {
      id: '583231',
      login: 'octocat',
      name: 'The Octocat',
      emails: [
        { email: 'octocat@users.noreply.github.com', primary: false, verified: true },
        { email: 'octo@example.com', primary: true, verified: true },
      ],
    },
    scope: 'user:email',
    getProfile: (e, token) =>
      request(e.url).get('/user').set('Authorization', `token ${token}`).set('User-Agent', 'test'),
    expectToken: (body) =>
      expect(body).toEqual({
        access_token: expect.stringMatching(/^gho_/),
        token_type: 'bearer',
        scope: 'user:email',
      }),
    expectProfile: (body) =>
      expect(body).toMatchObject({
        id: 583231,
        login: 'octocat',
        name: 'The Octocat',
        email: null,
        avatar_url: expect.any(String),
        html_url: 'https://github.com/octocat',
        type: 'User',
      }),
    // GitHub answers token errors with 200.
    grantError: (res) => [res.status, (res.body as { error?: string }).error],
    expectedGrantError: [200, 'bad_verification_code'],
  },
  {
    provider: 'facebook',
    start: (options) => startFacebookEmulator(options),
    user: { id: '10158000000000001', name: 'Mark Zuck', email: 'mark@example.com' },
    scope: 'email,public_profile',
    getProfile: (e, token) =>
      request(e.url).get(
        `${pathOf(e.endpoints.profile)}?fields=id,name,email,first_name,last_name&access_token=${token}`,
      ),
    expectToken: (body) =>
      expect(body).toEqual({
        access_token: expect.stringMatching(/^EAA/),
        token_type: 'bearer',
        expires_in: expect.any(Number),
      }),
    expectProfile: (body) =>
      expect(body).toEqual({
        id: '10158000000000001',
        name: 'Mark Zuck',
        email: 'mark@example.com',
        first_name: 'Mark',
        last_name: 'Zuck',
      }),
    grantError: (res) => {
      const { error } = res.body as { error?: { type: string; code: number } };
      return [res.status, error?.type, error?.code];
    },
    expectedGrantError: [400, 'OAuthException', 100],
  },
];

describe.each(cases)('$provider emulator', (c) => {
  let e: OAuthEmulator;
  beforeEach(async () => {
    e = await c.start();
  });
  afterEach(() => e.close());

  function authorize(params: Record<string, string | undefined>): request.Test {
    const query = new URLSearchParams(
      Object.entries({
        client_id: e.clientId,
        redirect_uri: callbackFor(c.provider),
        response_type: 'code',
        scope: c.scope,
        ...params,
      }).filter((kv): kv is [string, string] => kv[1] !== undefined),
    );
    return request(e.url).get(`${pathOf(e.endpoints.authorize)}?${query.toString()}`);
  }

  async function codeFor(params: Record<string, string | undefined> = {}): Promise<string> {
    const res = await authorize(params).expect(302);
    const code = new URL(res.headers.location).searchParams.get('code');
    if (!code) throw new Error(`no code in ${res.headers.location}`);
    return code;
  }

  function exchange(code: string, extra: Record<string, string> = {}): request.Test {
    // As the `oauth` client posts it: a form with the client credentials in the body.
    return request(e.url)
      .post(pathOf(e.endpoints.token))
      .set('Accept', 'application/json')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callbackFor(c.provider),
        client_id: e.clientId,
        client_secret: e.clientSecret,
        ...extra,
      });
  }

  it('env() names the provider URLs and credentials', () => {
    const env = e.env();
    const prefix = c.provider.toUpperCase();
    expect(env[`${prefix}_CLIENT_ID`]).toBe(e.clientId);
    expect(env[`${prefix}_CLIENT_SECRET`]).toBe(e.clientSecret);
    expect(env[`${prefix}_AUTHORIZATION_URL`]).toBe(e.endpoints.authorize);
    expect(env[`${prefix}_TOKEN_URL`]).toBe(e.endpoints.token);
    expect(Object.values(env).every((v) => v.length > 0)).toBe(true);
  });

  it('authorize → code → token (PKCE) → profile', async () => {
    e.signInAs(c.user);
    const { verifier, challenge } = pkcePair();
    const res = await authorize({
      state: 'st/ate+1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).expect(302);

    const back = new URL(res.headers.location);
    expect(back.origin + back.pathname).toBe(callbackFor(c.provider));
    expect(back.searchParams.get('state')).toBe('st/ate+1');
    expect(e.authorizeRequests).toEqual([
      expect.objectContaining({
        state: 'st/ate+1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope: c.scope,
      }),
    ]);

    const token = await exchange(back.searchParams.get('code') ?? '', {
      code_verifier: verifier,
    }).expect(200);
    c.expectToken(token.body);

    const profile = await c.getProfile(e, token.body.access_token).expect(200);
    c.expectProfile(profile.body);
  });

  it('a code works once', async () => {
    e.signInAs(c.user);
    const code = await codeFor();
    const first = await exchange(code).expect(200);
    const second = await exchange(code);
    expect(c.grantError(second)).toEqual(c.expectedGrantError);
    // Replaying a code revokes what it issued.
    await c.getProfile(e, first.body.access_token).expect(401);
  });

  it('refuses a wrong or missing PKCE verifier', async () => {
    e.signInAs(c.user);
    const { challenge } = pkcePair();
    const params = { code_challenge: challenge, code_challenge_method: 'S256' };
    const wrong = await exchange(await codeFor(params), { code_verifier: pkcePair().verifier });
    expect(c.grantError(wrong)).toEqual(c.expectedGrantError);
    const missing = await exchange(await codeFor(params));
    expect(c.grantError(missing)).toEqual(c.expectedGrantError);
  });

  it('refuses a plain PKCE challenge', async () => {
    e.signInAs(c.user);
    const res = await authorize({ code_challenge: 'abc', code_challenge_method: 'plain' });
    expect(new URL(res.headers.location).searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a redirect_uri that differs from the authorization request', async () => {
    await e.close();
    e = await c.start({ redirectUris: [callbackFor(c.provider), `${PUBLIC_URL}/other`] });
    e.signInAs(c.user);
    const res = await exchange(await codeFor(), { redirect_uri: `${PUBLIC_URL}/other` });
    expect(res.status === 200 ? res.body.access_token : undefined).toBeUndefined();
  });

  it('denyNext, or nobody signed in, sends the user back with access_denied and the state', async () => {
    e.signInAs(c.user);
    e.denyNext();
    const denied = new URL((await authorize({ state: 's1' }).expect(302)).headers.location);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('s1');
    expect(denied.searchParams.get('code')).toBeNull();

    // Only the next one.
    await codeFor();

    e.signInAs(null);
    const nobody = new URL((await authorize({ state: 's2' }).expect(302)).headers.location);
    expect(nobody.searchParams.get('error')).toBe('access_denied');
    expect(nobody.searchParams.get('state')).toBe('s2');
  });

  it('answers an unknown client or a missing redirect_uri with an error page, not a redirect', async () => {
    e.signInAs(c.user);
    await authorize({ client_id: 'someone-else' }).expect(400);
    await authorize({ redirect_uri: undefined }).expect(400);
    await authorize({ redirect_uri: 'http://evil.example/cb' }).expect(400);
  });

  it('refuses bad client credentials at the token endpoint', async () => {
    e.signInAs(c.user);
    const res = await exchange(await codeFor(), { client_secret: 'nope' });
    expect(res.status === 200 ? res.body.access_token : undefined).toBeUndefined();
  });

  it('wants a valid access token for the profile', async () => {
    await c.getProfile(e, 'made-up').expect(401);
  });

  it("failNext('profile', 'error') fails once with 503", async () => {
    e.signInAs(c.user);
    const token = (await exchange(await codeFor()).expect(200)).body.access_token as string;
    e.failNext('profile', 'error');
    await c.getProfile(e, token).expect(503);
    await c.getProfile(e, token).expect(200);
  });

  it("failNext('token', 'hang') never answers, until close()", async () => {
    e.signInAs(c.user);
    const code = await codeFor();
    e.failNext('token', 'hang');
    const pending = exchange(code).then(
      () => 'answered',
      () => 'dropped',
    );
    const early = await Promise.race([
      pending,
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 300)),
    ]);
    expect(early).toBe('still waiting');
    expect(e.requests.filter((r) => r.endpoint === 'token')).toHaveLength(1);
    await e.close();
    expect(await pending).toBe('dropped');
  });
});

describe('GitHub specifics', () => {
  let e: OAuthEmulator;
  beforeEach(async () => {
    e = await startGitHubEmulator();
  });
  afterEach(() => e.close());

  async function token(scope: string): Promise<string> {
    const res = await request(e.url)
      .get(
        `/login/oauth/authorize?client_id=${e.clientId}&response_type=code&scope=${scope}` +
          `&redirect_uri=${encodeURIComponent(callbackFor('github'))}`,
      )
      .expect(302);
    const code = new URL(res.headers.location).searchParams.get('code') ?? '';
    // No Accept header, like the `oauth` client: form-encoded answer.
    const exchanged = await request(e.url)
      .post('/login/oauth/access_token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        redirect_uri: callbackFor('github'),
        client_id: e.clientId,
        client_secret: e.clientSecret,
      })
      .expect(200)
      .expect('Content-Type', /x-www-form-urlencoded/);
    return new URLSearchParams(exchanged.text).get('access_token') ?? '';
  }

  it('lists emails with user:email, hides them (404) without, and never takes ?access_token=', async () => {
    e.signInAs({ id: '1', login: 'a', email: 'pub@example.com' });
    const withScope = await token('user:email');
    const emails = await request(e.url)
      .get('/user/emails')
      .set('Authorization', `Bearer ${withScope}`)
      .expect(200);
    expect(emails.body).toEqual([
      { email: 'pub@example.com', primary: true, verified: true, visibility: 'public' },
    ]);

    const without = await token('read:user');
    await request(e.url).get('/user/emails').set('Authorization', `token ${without}`).expect(404);
    await request(e.url).get(`/user?access_token=${withScope}`).expect(401);
  });

  it("failNext('emails', ...) only affects /user/emails", async () => {
    e.signInAs({ id: '2', login: 'b', email: 'b@example.com' });
    const t = await token('user:email');
    e.failNext('emails', 'error');
    await request(e.url).get('/user').set('Authorization', `token ${t}`).expect(200);
    await request(e.url).get('/user/emails').set('Authorization', `token ${t}`).expect(503);
  });

  it('refuses a non-numeric user id', () => {
    expect(() => e.signInAs({ id: 'octocat' })).toThrow(/numbers/);
  });
});

describe('Facebook specifics', () => {
  it('checks appsecret_proof when sent (and demands it when configured)', async () => {
    const e = await startFacebookEmulator({ requireAppSecretProof: true });
    try {
      e.signInAs({ id: '42', name: 'Solo', email: 'solo@example.com', emailVerified: false });
      const auth = await request(e.url)
        .get(
          `/v21.0/dialog/oauth?client_id=${e.clientId}&response_type=code` +
            `&redirect_uri=${encodeURIComponent(callbackFor('facebook'))}`,
        )
        .expect(302);
      const code = new URL(auth.headers.location).searchParams.get('code') ?? '';
      const { access_token: token } = (
        await request(e.url)
          .post('/v21.0/oauth/access_token')
          .type('form')
          .send({
            grant_type: 'authorization_code',
            code,
            redirect_uri: callbackFor('facebook'),
            client_id: e.clientId,
            client_secret: e.clientSecret,
          })
          .expect(200)
      ).body as { access_token: string };
      const proof = createHmac('sha256', e.clientSecret).update(token).digest('hex');

      await request(e.url).get(`/v21.0/me?access_token=${token}`).expect(400);
      await request(e.url)
        .get(`/v21.0/me?access_token=${token}&appsecret_proof=${'0'.repeat(64)}`)
        .expect(400);
      const me = await request(e.url)
        .get(`/v21.0/me?access_token=${token}&appsecret_proof=${proof}`)
        .expect(200);
      // No `fields`: id and name only, as the Graph API does.
      expect(me.body).toEqual({ id: '42', name: 'Solo' });
      // An unconfirmed email is never returned.
      const withEmail = await request(e.url)
        .get(`/v21.0/me?fields=id,email&access_token=${token}&appsecret_proof=${proof}`)
        .expect(200);
      expect(withEmail.body).toEqual({ id: '42' });
    } finally {
      await e.close();
    }
  });
});

describe('real passport strategies against the emulators', () => {
  it('passport-google-oauth20 (state + PKCE)', async () => {
    const e = await startGoogleEmulator();
    try {
      e.signInAs({ id: '1234', name: 'Grace Hopper', email: 'grace@example.com' });
      const env = e.env();
      const strategy = new GoogleStrategy(
        {
          clientID: env.GOOGLE_CLIENT_ID,
          clientSecret: env.GOOGLE_CLIENT_SECRET,
          authorizationURL: env.GOOGLE_AUTHORIZATION_URL,
          tokenURL: env.GOOGLE_TOKEN_URL,
          userProfileURL: env.GOOGLE_USERINFO_URL,
          callbackURL: callbackFor('google'),
          scope: ['profile', 'email'],
          state: true,
          pkce: true,
        },
        verifyProfile,
      );
      const outcome = await fullStrategyDance(strategy);
      expect(outcome).toMatchObject({
        kind: 'success',
        user: {
          profile: {
            provider: 'google',
            id: '1234',
            displayName: 'Grace Hopper',
            emails: [{ value: 'grace@example.com', verified: true }],
          },
        },
      });
      expect(e.authorizeRequests[0]).toMatchObject({
        code_challenge_method: 'S256',
        state: expect.any(String),
      });
      const userinfo = e.requests.find((r) => r.endpoint === 'profile');
      expect(userinfo?.query.access_token).toEqual(expect.stringMatching(/^ya29\./));
    } finally {
      await e.close();
    }
  });

  it('passport-github2 (private primary email via /user/emails)', async () => {
    const e = await startGitHubEmulator();
    try {
      e.signInAs({
        id: '99',
        login: 'hopper',
        emails: [
          { email: 'secondary@example.com', primary: false, verified: true },
          { email: 'primary@example.com', primary: true, verified: false },
        ],
      });
      const env = e.env();
      const strategy = new GitHubStrategy(
        {
          clientID: env.GITHUB_CLIENT_ID,
          clientSecret: env.GITHUB_CLIENT_SECRET,
          authorizationURL: env.GITHUB_AUTHORIZATION_URL,
          tokenURL: env.GITHUB_TOKEN_URL,
          userProfileURL: env.GITHUB_USER_URL,
          userEmailURL: env.GITHUB_EMAILS_URL,
          callbackURL: callbackFor('github'),
          scope: ['user:email'],
        },
        verifyProfile,
      );
      const outcome = await fullStrategyDance(strategy);
      // The strategy keeps the primary address only, verified or not.
      expect(outcome).toMatchObject({
        kind: 'success',
        user: {
          profile: {
            provider: 'github',
            id: '99',
            username: 'hopper',
            emails: [{ value: 'primary@example.com' }],
          },
        },
      });
      expect(e.requests.map((r) => [r.endpoint, r.headers['user-agent']])).toEqual([
        ['token', 'passport-github'],
        ['profile', 'passport-github'],
        ['emails', 'passport-github'],
      ]);
    } finally {
      await e.close();
    }
  });

  it('passport-facebook (enableProof, profileFields)', async () => {
    const e = await startFacebookEmulator({ requireAppSecretProof: true });
    try {
      e.signInAs({ id: '777', name: 'Ida B Wells', email: 'ida@example.com' });
      const env = e.env();
      const strategy = new FacebookStrategy(
        {
          clientID: env.FACEBOOK_CLIENT_ID,
          clientSecret: env.FACEBOOK_CLIENT_SECRET,
          authorizationURL: env.FACEBOOK_AUTHORIZATION_URL,
          tokenURL: env.FACEBOOK_TOKEN_URL,
          profileURL: env.FACEBOOK_PROFILE_URL,
          callbackURL: callbackFor('facebook'),
          scope: ['email'],
          enableProof: true,
          profileFields: ['id', 'displayName', 'name', 'emails'],
        },
        verifyProfile,
      );
      const outcome = await fullStrategyDance(strategy);
      expect(outcome).toMatchObject({
        kind: 'success',
        user: {
          profile: {
            provider: 'facebook',
            id: '777',
            displayName: 'Ida B Wells',
            name: { givenName: 'Ida B', familyName: 'Wells' },
            emails: [{ value: 'ida@example.com' }],
          },
        },
      });
      expect(e.requests.find((r) => r.endpoint === 'profile')?.query).toMatchObject({
        fields: 'id,name,last_name,first_name,middle_name,email',
        appsecret_proof: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    } finally {
      await e.close();
    }
  });

  it('a denied consent fails the strategy (no error)', async () => {
    const e = await startGoogleEmulator();
    try {
      e.signInAs({ id: '1' });
      e.denyNext('nope');
      const env = e.env();
      const strategy = new GoogleStrategy(
        {
          clientID: env.GOOGLE_CLIENT_ID,
          clientSecret: env.GOOGLE_CLIENT_SECRET,
          authorizationURL: env.GOOGLE_AUTHORIZATION_URL,
          tokenURL: env.GOOGLE_TOKEN_URL,
          userProfileURL: env.GOOGLE_USERINFO_URL,
          callbackURL: callbackFor('google'),
          scope: ['profile'],
        },
        verifyProfile,
      );
      expect(await fullStrategyDance(strategy)).toEqual({
        kind: 'fail',
        challenge: { message: 'nope' },
        status: undefined,
      });
    } finally {
      await e.close();
    }
  });
});

describe('OIDC issuer', () => {
  let issuer: OidcIssuer;
  let discovery: Record<string, string>;
  beforeAll(async () => {
    issuer = await startOidcIssuer({ key: 'okta', name: 'Okta' });
    discovery = (await request(issuer.issuer).get('/.well-known/openid-configuration').expect(200))
      .body;
  });
  afterAll(() => issuer.close());

  function authUrl(params: Record<string, string>): string {
    const url = new URL(discovery.authorization_endpoint);
    for (const [k, v] of Object.entries({
      client_id: issuer.clientId,
      redirect_uri: issuer.redirectUri,
      response_type: 'code',
      scope: 'openid email profile',
      ...params,
    })) {
      url.searchParams.set(k, v);
    }
    return url.href;
  }

  function exchange(code: string, extra: Record<string, string> = {}): request.Test {
    // client_secret_post, as passport-openidconnect's `oauth` client does.
    return request(issuer.issuer)
      .post(pathOf(discovery.token_endpoint))
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code,
        redirect_uri: issuer.redirectUri,
        client_id: issuer.clientId,
        client_secret: issuer.clientSecret,
        ...extra,
      });
  }

  it('env() configures the app for it', () => {
    expect(issuer.env()).toEqual({
      OIDC_PROVIDERS: 'okta',
      OIDC_OKTA_ISSUER: issuer.issuer,
      OIDC_OKTA_CLIENT_ID: issuer.clientId,
      OIDC_OKTA_CLIENT_SECRET: issuer.clientSecret,
      OIDC_OKTA_NAME: 'Okta',
    });
    expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(issuer.redirectUri).toBe(callbackFor('okta'));
  });

  it('publishes a discovery document', () => {
    expect(discovery).toMatchObject({
      issuer: issuer.issuer,
      authorization_endpoint: `${issuer.issuer}/auth`,
      token_endpoint: `${issuer.issuer}/token`,
      userinfo_endpoint: `${issuer.issuer}/me`,
      jwks_uri: `${issuer.issuer}/jwks`,
      scopes_supported: expect.arrayContaining(['openid', 'email', 'profile']),
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_post']),
      id_token_signing_alg_values_supported: expect.arrayContaining(['RS256']),
    });
  });

  it('signs in through the interactions and issues a verifiable ID token', async () => {
    const { verifier, challenge } = pkcePair();
    const callback = new URL(
      await signInAtProvider(
        authUrl({
          state: 'xyz',
          nonce: 'n-0S6_WzA2Mj',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        { sub: 'okta-user-1', email: 'okta@example.com', email_verified: true, name: 'Okta User' },
      ),
    );
    expect(callback.origin + callback.pathname).toBe(callbackFor('okta'));
    expect(callback.searchParams.get('state')).toBe('xyz');
    expect(callback.searchParams.get('iss')).toBe(issuer.issuer);
    const code = callback.searchParams.get('code') ?? '';

    const tokens = await exchange(code, { code_verifier: verifier }).expect(200);
    expect(tokens.body).toMatchObject({
      access_token: expect.any(String),
      id_token: expect.any(String),
      token_type: 'Bearer',
      scope: 'openid email profile',
    });

    const { payload, protectedHeader } = await verifyJwtWithJose(tokens.body.id_token, {
      jwksUri: discovery.jwks_uri,
      issuer: issuer.issuer,
      audience: issuer.clientId,
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    expect(payload).toMatchObject({
      iss: issuer.issuer,
      aud: issuer.clientId,
      sub: 'okta-user-1',
      nonce: 'n-0S6_WzA2Mj',
      email: 'okta@example.com',
      email_verified: true,
      name: 'Okta User',
    });

    const userinfo = await request(issuer.issuer)
      .get(pathOf(discovery.userinfo_endpoint))
      .set('Authorization', `Bearer ${tokens.body.access_token}`)
      .expect(200);
    expect(userinfo.body).toEqual({
      sub: 'okta-user-1',
      email: 'okta@example.com',
      email_verified: true,
      name: 'Okta User',
    });

    // The code is spent.
    const again = await exchange(code, { code_verifier: verifier }).expect(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('refuses a wrong PKCE verifier', async () => {
    const { challenge } = pkcePair();
    const callback = new URL(
      await signInAtProvider(
        authUrl({ state: 's', code_challenge: challenge, code_challenge_method: 'S256' }),
        { sub: 'okta-user-2' },
      ),
    );
    const res = await exchange(callback.searchParams.get('code') ?? '', {
      code_verifier: pkcePair().verifier,
    }).expect(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('the dance insists on a login when the issuer asks for one', async () => {
    await expect(signInAtProvider(authUrl({ state: 's' }))).rejects.toThrow(/asks for a login/);
  });

  it('works with passport-openidconnect (no PKCE, secret in the body, nonce)', async () => {
    const strategy = new OidcStrategy(
      {
        issuer: discovery.issuer,
        authorizationURL: discovery.authorization_endpoint,
        tokenURL: discovery.token_endpoint,
        userInfoURL: discovery.userinfo_endpoint,
        clientID: issuer.clientId,
        clientSecret: issuer.clientSecret,
        callbackURL: issuer.redirectUri,
        scope: ['email', 'profile'],
        nonce: 'true',
      },
      (iss: string, profile: object, done: (e: null, user: object) => void) =>
        done(null, { iss, profile }),
    );
    const outcome = await fullStrategyDance(strategy, {
      sub: 'okta-user-3',
      email: 'three@example.com',
      email_verified: false,
      name: 'Three',
    });
    // Profile from the ID token alone: the strategy skips userinfo for this verify arity.
    expect(outcome).toMatchObject({
      kind: 'success',
      user: {
        iss: issuer.issuer,
        profile: {
          id: 'okta-user-3',
          displayName: 'Three',
          emails: [{ value: 'three@example.com' }],
        },
      },
    });
  });
});

describe('OIDC issuer announcing another issuer identifier', () => {
  let issuer: OidcIssuer;
  beforeAll(async () => {
    issuer = await startOidcIssuer({ key: 'acme', issuerId: 'https://idp.acme.example' });
  });
  afterAll(() => issuer.close());

  it('shows it in discovery and ID tokens while served at its real URL', async () => {
    expect(issuer.env()).toMatchObject({
      OIDC_PROVIDERS: 'acme',
      OIDC_ACME_ISSUER: issuer.issuer,
      OIDC_ACME_NAME: 'Acme',
    });
    const discovery = (await request(issuer.issuer).get('/.well-known/openid-configuration'))
      .body as Record<string, string>;
    expect(discovery.issuer).toBe('https://idp.acme.example');
    expect(discovery.token_endpoint).toBe(`${issuer.issuer}/token`);

    // The app trusts the URL it was configured with, so passport-openidconnect rejects the token.
    const strategy = new OidcStrategy(
      {
        issuer: issuer.issuer,
        authorizationURL: discovery.authorization_endpoint,
        tokenURL: discovery.token_endpoint,
        userInfoURL: discovery.userinfo_endpoint,
        clientID: issuer.clientId,
        clientSecret: issuer.clientSecret,
        callbackURL: issuer.redirectUri,
        scope: 'email',
      },
      (iss: string, profile: object, done: (e: null, user: object) => void) =>
        done(null, { iss, profile }),
    );
    expect(await fullStrategyDance(strategy, { sub: 'acme-1' })).toEqual({
      kind: 'fail',
      challenge: { message: 'ID token not issued by expected OpenID provider.' },
      status: 403,
    });

    // And the token itself says so, verifiably.
    const callback = new URL(
      await signInAtProvider(
        `${discovery.authorization_endpoint}?client_id=${issuer.clientId}&response_type=code` +
          `&scope=openid&state=s&redirect_uri=${encodeURIComponent(issuer.redirectUri)}`,
        { sub: 'acme-2' },
      ),
    );
    const tokens = await request(issuer.issuer)
      .post('/token')
      .type('form')
      .send({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code'),
        redirect_uri: issuer.redirectUri,
        client_id: issuer.clientId,
        client_secret: issuer.clientSecret,
      })
      .expect(200);
    const { payload } = await verifyJwtWithJose(tokens.body.id_token, {
      jwksUri: discovery.jwks_uri,
      issuer: 'https://idp.acme.example',
      audience: issuer.clientId,
    });
    expect(payload.iss).toBe('https://idp.acme.example');
    await expect(
      verifyJwtWithJose(tokens.body.id_token, {
        jwksUri: discovery.jwks_uri,
        issuer: issuer.issuer,
      }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  });
});
