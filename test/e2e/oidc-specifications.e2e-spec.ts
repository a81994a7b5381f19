import { Types } from 'mongoose';
import * as client from 'openid-client';
import request from 'supertest';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, oidcBrowsing } from '../support/oidc-browser';

const APP = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
};
const PAR_APP = {
  client_id: 'pushed-only',
  client_secret: 'a-secret-of-the-pushed-only-app-long-enough',
  redirect_uris: ['http://pushed.example.test/callback'],
  require_pushed_authorization_requests: true,
};

/** Where the callback landed, without its query. */
const at = (url: URL) => url.origin + url.pathname;

/**
 * The provider held to what the specifications require of it, where the library alone did not:
 * the authorization request by POST, discovery at both of its names, fresh sign-ins for
 * prompt=login and max_age, and apps required to push their requests.
 */
describe('OpenID Connect provider: the specifications', () => {
  let live: LiveApp;
  const oidc = oidcBrowsing(() => live.url);

  beforeAll(async () => {
    live = await startLiveApp({ env: { OIDC_CLIENTS: JSON.stringify([APP, PAR_APP]) } });
  });
  afterAll(() => live.close());

  describe('the authorization request by POST (OpenID Connect Core 3.1.2.1)', () => {
    /** The app's request (built by openid-client) posted as a form, as an app's page would. */
    async function postAuthorization(browser: Browser, extra: Record<string, string> = {}) {
      const config = await oidc.discover(APP.client_id, APP.client_secret);
      const asked = await oidc.authorize(config, APP.redirect_uris[0], extra);
      const posted = await browser
        .post('/oauth2/authorize')
        .type('form')
        .send(asked.url.searchParams.toString());
      return { config, asked, posted };
    }

    it('answers a form POST like the GET: a 303 to the same request, which signs a signed-in browser in', async () => {
      const { browser, userId } = await oidc.signedInBrowser();
      const { config, asked, posted } = await postAuthorization(browser);
      // A GET follows: a top-level GET carries the SameSite=Lax session cookie, which a
      // cross-site POST does not.
      expect(posted.status).toBe(303);
      const again = new URL(posted.headers.location, live.url);
      expect(again.pathname).toBe('/oauth2/authorize');
      expect([...again.searchParams].sort()).toEqual([...asked.url.searchParams].sort());

      const callback = await oidc.follow(browser, again);
      expect(at(callback)).toBe(APP.redirect_uris[0]);
      const tokens = await oidc.redeem(config, callback, asked);
      expect(tokens.claims()).toMatchObject({ sub: userId, nonce: asked.nonce });
    });

    it('sends a browser without a session to sign in, and back to the app', async () => {
      const { browser, account, userId } = await oidc.signedInBrowser();
      await browser.post('/auth/logout').expect(204);
      const { config, asked, posted } = await postAuthorization(browser);
      const atLogin = await oidc.follow(browser, new URL(posted.headers.location, live.url));
      expect(atLogin.pathname).toBe('/login');
      await oidc.signInAgain(browser, account.email);
      const callback = await oidc.returnFrom(browser, atLogin);
      expect((await oidc.redeem(config, callback, asked)).claims()?.sub).toBe(userId);
    });

    it('prompt=none by POST: a code for a signed-in browser, login_required (with the state) without one', async () => {
      const { browser } = await oidc.signedInBrowser();
      const signedIn = await postAuthorization(browser, { prompt: 'none' });
      const code = await oidc.follow(browser, new URL(signedIn.posted.headers.location, live.url));
      expect(code.searchParams.get('code')).toEqual(expect.any(String));

      const stranger = request.agent(live.url);
      const none = await postAuthorization(stranger, { prompt: 'none' });
      const refused = await oidc.follow(stranger, new URL(none.posted.headers.location, live.url));
      expect(at(refused)).toBe(APP.redirect_uris[0]);
      expect(refused.searchParams.get('error')).toBe('login_required');
      expect(refused.searchParams.get('state')).toBe(none.asked.state);
      expect(refused.searchParams.get('code')).toBeNull();
    });

    it('refuses a POST that is not a form, or carries its parameters in the query, with invalid_request', async () => {
      const json = await request(live.url)
        .post('/oauth2/authorize')
        .send({ client_id: APP.client_id, response_type: 'code' });
      expect(json.status).toBe(400);
      expect(json.body).toEqual({
        error: 'invalid_request',
        error_description: expect.any(String),
      });

      const query = await request(live.url)
        .post(`/oauth2/authorize?client_id=${APP.client_id}`)
        .type('form')
        .send('response_type=code');
      expect(query.status).toBe(400);
      expect(query.body.error).toBe('invalid_request');
    });
  });

  describe('discovery advertises only what is served', () => {
    /** The methods each advertised endpoint takes; one missing here is an endpoint nobody checked. */
    const METHODS: Record<string, ('GET' | 'POST')[]> = {
      authorization_endpoint: ['GET', 'POST'],
      token_endpoint: ['POST'],
      userinfo_endpoint: ['GET', 'POST'],
      introspection_endpoint: ['POST'],
      revocation_endpoint: ['POST'],
      pushed_authorization_request_endpoint: ['POST'],
      device_authorization_endpoint: ['POST'],
      end_session_endpoint: ['GET'],
      jwks_uri: ['GET'],
    };

    it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])(
      '%s: every *_endpoint and jwks_uri answers the methods it takes (never 404), and 405 with Allow for another',
      async (path) => {
        const metadata = (await request(live.url).get(path).expect(200)).body as Record<
          string,
          unknown
        >;
        expect(metadata.issuer).toBe(live.url);
        const advertised = Object.entries(metadata).filter(
          (entry): entry is [string, string] =>
            (entry[0].endsWith('_endpoint') || entry[0] === 'jwks_uri') &&
            typeof entry[1] === 'string',
        );
        expect(advertised.map(([name]) => name).sort()).toEqual(Object.keys(METHODS).sort());
        const problems: string[] = [];
        for (const [name, url] of advertised) {
          expect(url.startsWith(`${live.url}/`)).toBe(true);
          const endpoint = new URL(url).pathname;
          for (const method of METHODS[name]) {
            const { status } = await request(live.url)[method === 'GET' ? 'get' : 'post'](endpoint);
            if (status === 404 || status === 405 || status >= 500) {
              problems.push(`${method} ${name}: ${status}`);
            }
          }
          // A method it does not take: 405, naming the ones it does.
          const refused = await request(live.url).put(endpoint);
          if (refused.status !== 405) problems.push(`PUT ${name}: ${refused.status}`);
          const allow = String(refused.headers.allow ?? '').split(', ');
          if (!METHODS[name].every((method) => allow.includes(method))) {
            problems.push(`${name}: Allow ${String(refused.headers.allow)}`);
          }
        }
        expect(problems).toEqual([]);
      },
    );

    it('both documents say the same', async () => {
      const openid = await request(live.url).get('/.well-known/openid-configuration').expect(200);
      const oauth = await request(live.url).get('/.well-known/oauth-authorization-server');
      expect(oauth.status).toBe(200);
      expect(oauth.body).toEqual(openid.body);
    });
  });

  describe('prompt=login and max_age: one sign-in, and auth_time moves forward', () => {
    /**
     * Makes the pending requests look as if they began in the very second `date` falls in: a
     * sign-in within the same second as the request, which whole seconds judged not fresh.
     */
    const beganInTheSecondOf = (date: Date) =>
      live.t.db
        .collection('oidc_interaction')
        .updateMany({}, { $set: { 'payload.iat': Math.floor(date.getTime() / 1000) } });

    /** When the browser's person last proved who they are here (their newest session). */
    const lastSignIn = async (userId: string) => {
      const [session] = await live.t.db
        .collection('sessions')
        .find({ userId: new Types.ObjectId(userId) })
        .sort({ authenticatedAt: -1 })
        .limit(1)
        .toArray();
      return session.authenticatedAt as Date;
    };

    /** Moves the person's sign-ins `seconds` into the past. */
    const signedInEarlier = async (userId: string, seconds: number) => {
      const sessions = await live.t.db
        .collection('sessions')
        .find({ userId: new Types.ObjectId(userId) })
        .toArray();
      for (const session of sessions) {
        await live.t.db.collection('sessions').updateOne(
          { _id: session._id },
          {
            $set: {
              authenticatedAt: new Date(
                (session.authenticatedAt as Date).getTime() - seconds * 1000,
              ),
            },
          },
        );
      }
      expect(sessions.length).toBeGreaterThan(0);
    };

    it.each<Record<string, string>>([{ prompt: 'login' }, { max_age: '0' }])(
      '%o: a sign-in within the same second as the request completes it, after one sign-in page; auth_time moves forward',
      async (extra) => {
        const { browser, account, userId } = await oidc.signedInBrowser();
        const config = await oidc.discover(APP.client_id, APP.client_secret);
        // The first sign-in, a few seconds ago: the app's first ID token says so.
        await signedInEarlier(userId, 3);
        // (max_age asks for auth_time in the ID token.)
        const first = await oidc.authorize(config, APP.redirect_uris[0], { max_age: '10000' });
        const firstTokens = await oidc.redeem(config, await oidc.follow(browser, first.url), first);
        const firstAuthTime = firstTokens.claims()!.auth_time!;

        const asked = await oidc.authorize(config, APP.redirect_uris[0], extra);
        const atLogin = await oidc.follow(browser, asked.url);
        expect(atLogin.pathname).toBe('/login');
        await oidc.signInAgain(browser, account.email);
        const signedInAt = await lastSignIn(userId);
        await beganInTheSecondOf(signedInAt);
        // Back from /login once: the app's callback, not the sign-in page again.
        const callback = await oidc.returnFrom(browser, atLogin);
        expect(at(callback)).toBe(APP.redirect_uris[0]);
        const tokens = await oidc.redeem(config, callback, asked, {
          ...(extra.max_age !== undefined && { maxAge: 0 }),
        });
        const authTime = tokens.claims()!.auth_time!;
        expect(authTime).toBe(Math.floor(signedInAt.getTime() / 1000));
        expect(authTime).toBeGreaterThan(firstAuthTime);
      },
    );

    it('a session from before the request still gets the sign-in page (prompt=login), and only a sign-in gets past it', async () => {
      const { browser } = await oidc.signedInBrowser();
      const config = await oidc.discover(APP.client_id, APP.client_secret);
      const asked = await oidc.authorize(config, APP.redirect_uris[0], { prompt: 'login' });
      const atLogin = await oidc.follow(browser, asked.url);
      expect(atLogin.pathname).toBe('/login');
      // Coming back without signing in: the sign-in page again, never a code.
      const again = await oidc.returnFrom(browser, atLogin);
      expect(again.pathname).toBe('/login');
    });
  });

  describe('require_pushed_authorization_requests (RFC 9126 §6)', () => {
    it("refuses such an app's plain authorization request with the library's error, and takes its pushed one", async () => {
      const { browser, userId } = await oidc.signedInBrowser();
      const config = await oidc.discover(PAR_APP.client_id, PAR_APP.client_secret);
      const plain = await oidc.authorize(config, PAR_APP.redirect_uris[0]);
      const refused = await oidc.follow(browser, plain.url);
      expect(at(refused)).toBe(PAR_APP.redirect_uris[0]);
      expect(refused.searchParams.get('error')).toBe('invalid_request');
      expect(refused.searchParams.get('error_description')).toBe(
        'Pushed Authorization Request must be used',
      );
      expect(refused.searchParams.get('code')).toBeNull();

      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const pushed = await client.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: PAR_APP.redirect_uris[0],
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const callback = await oidc.follow(browser, pushed);
      const tokens = await oidc.redeem(config, callback, { verifier, state });
      expect(tokens.claims()?.sub).toBe(userId);
    });

    it('leaves the other apps free to send plain requests', async () => {
      const { browser } = await oidc.signedInBrowser();
      const config = await oidc.discover(APP.client_id, APP.client_secret);
      const plain = await oidc.authorize(config, APP.redirect_uris[0]);
      expect((await oidc.follow(browser, plain.url)).searchParams.get('code')).toEqual(
        expect.any(String),
      );
    });
  });
});
