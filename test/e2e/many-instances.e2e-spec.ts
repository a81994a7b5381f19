import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount, sessionCookie } from '../support/accounts';
import { OidcProvider } from '../../src/openid/oidc-provider.service';
import { rotateSigningKeys } from '../../src/openid/rotate-keys.command';
import { KEY_ACTIVATION_MS, SigningKeys } from '../../src/openid/signing-keys';
import { Balancer, CLIENT_ADDRESS_HEADER } from '../support/balancer';
import { LiveApp, startLiveApp } from '../support/live-app';
import { MailServer } from '../support/mail';
import { OAuthEmulator, signInAtProvider, startGoogleEmulator } from '../support/providers';
import { newIdentity } from '../support/social';
import { newDatabaseName } from '../support/test-app';

const A = 0;
const B = 1;

const APP = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
};

/** Per minute, per client and route; low enough to reach, high enough for the other tests. */
const SIGN_IN_RATE_LIMIT = 20;

/**
 * Two instances of the service on one database, behind one proxy (no sticky sessions): nothing an
 * instance needs lives in another's memory. See also test/e2e/mail-outbox.e2e-spec.ts (two relays
 * racing for the same retries) and test/e2e/graceful-shutdown.e2e-spec.ts (an instance stopping).
 */
describe('many instances: two on one database, behind one proxy', () => {
  let balancer: Balancer;
  let mail: MailServer;
  let google: OAuthEmulator;
  let instances: LiveApp[];

  beforeAll(async () => {
    balancer = await Balancer.start();
    mail = await MailServer.start();
    google = await startGoogleEmulator({ publicUrl: balancer.url });
    const database = newDatabaseName();
    const env = {
      ...mail.env,
      MAIL_POLL_INTERVAL_MS: '100',
      OIDC_CLIENTS: JSON.stringify([APP]),
      TRUST_PROXY: '1',
      SIGN_IN_RATE_LIMIT: String(SIGN_IN_RATE_LIMIT),
    };
    // Started together on an empty database, as a deployment's first start does.
    instances = await Promise.all(
      [A, B].map(() => startLiveApp({ env, database, publicUrl: balancer.url, google })),
    );
    balancer.route(instances.map(({ url }) => url));
  });
  afterAll(async () => {
    for (const instance of instances ?? []) await instance.close();
    await google?.close();
    await mail?.close();
    await balancer?.close();
  });

  const db = () => instances[A].t.db;
  /** A browser: one cookie jar, at the proxy's URL. */
  const browser = () => request.agent(balancer.url);

  let clients = 0;
  /** Each registration from a client address of its own: only the limit's own test reaches it. */
  const register = (agent: ReturnType<typeof browser>, account = newAccount()) =>
    agent
      .post('/auth/register')
      .set(CLIENT_ADDRESS_HEADER, `198.51.100.${++clients}`)
      .send(account)
      .expect(201);

  async function registered(via: number) {
    balancer.to(via);
    const agent = browser();
    const account = newAccount();
    const response = await register(agent, account);
    return {
      agent,
      account,
      cookie: sessionCookie(response),
      userId: response.body.user.id as string,
    };
  }

  /**
   * How long after the call instance `via` stops accepting `cookie` (GET /me answers 401), polling
   * every 20 ms; throws after 5 s. For any revocation made on the other instance: signing out,
   * ending a session, disabling the account.
   */
  async function msUntilRefusedOn(via: number, cookie: string): Promise<number> {
    const started = Date.now();
    for (;;) {
      balancer.to(via);
      const { status } = await request(balancer.url).get('/me').set('Cookie', cookie);
      const elapsed = Date.now() - started;
      if (status === 401) return elapsed;
      expect(status).toBe(200);
      if (elapsed > 5000) throw new Error(`still signed in on instance ${via} after 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  describe('sessions', () => {
    it('takes a session started on A on B', async () => {
      const { cookie, userId } = await registered(A);
      balancer.to(B);
      const me = await request(balancer.url).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.id).toBe(userId);
      expect(balancer.served.slice(-2)).toEqual([A, B]);
    });

    it('refuses on A, within 1 s, a session signed out on B', async () => {
      const { agent, cookie } = await registered(A);
      balancer.to(B);
      await agent.post('/auth/logout').expect(204);
      expect(await msUntilRefusedOn(A, cookie)).toBeLessThan(1000);
    });

    it('refuses on A, within 1 s, a session ended from another device on B', async () => {
      const phone = await registered(A);
      balancer.to(A);
      const laptop = browser();
      await laptop
        .post('/auth/login')
        .send({ login: phone.account.email, password: GOOD_PASSWORD })
        .expect(200);
      balancer.to(B);
      const sessions = await laptop.get('/me/sessions').expect(200);
      const phoneSession = (sessions.body as { id: string; current: boolean }[]).find(
        (session) => !session.current,
      );
      await laptop.delete(`/me/sessions/${phoneSession!.id}`).expect(204);
      expect(await msUntilRefusedOn(A, phone.cookie)).toBeLessThan(1000);
      // The laptop's own session goes on, on both.
      balancer.to(A);
      await laptop.get('/me').expect(200);
    });

    it('refuses on A, within 1 s, the session of an account an admin disabled on B', async () => {
      const admin = await registered(A);
      await db()
        .collection('users')
        .updateOne({ _id: new Types.ObjectId(admin.userId) }, { $set: { role: 'admin' } });
      const person = await registered(A);
      balancer.to(B);
      const disabled = await request(balancer.url)
        .patch(`/admin/users/${person.userId}`)
        .set('Cookie', admin.cookie)
        .send({ disabled: true })
        .expect(200);
      expect(disabled.body.user.disabled).toBe(true);
      expect(await msUntilRefusedOn(A, person.cookie)).toBeLessThan(1000);
    });

    it('accepts on B a form rendered by A (one CSRF secret for all instances)', async () => {
      const account = newAccount();
      balancer.to(A);
      const agent = browser();
      const page = await agent.get('/register').set('Accept', 'text/html').expect(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      balancer.to(B);
      const response = await agent.post('/register').type('form').send({
        _csrf: token,
        email: account.email,
        password: GOOD_PASSWORD,
        passwordConfirm: GOOD_PASSWORD,
      });
      expect(response.status).toBe(303);
      expect(await db().collection('users').countDocuments({ email: account.email })).toBe(1);
    });
  });

  it('completes on B a social sign-in started on A', async () => {
    const agent = browser();
    balancer.to(A);
    const start = await agent.get('/auth/google').expect(302);
    const identity = newIdentity();
    google.signInAs({ id: identity.id, name: identity.name, email: identity.email });
    const callback = new URL(
      await signInAtProvider(start.headers.location, undefined, { publicUrl: balancer.url }),
    );
    balancer.to(B);
    const finished = await agent
      .get(callback.pathname + callback.search)
      .set('Accept', 'application/json')
      .expect(200);
    expect(finished.body).toMatchObject({ action: 'registered', user: { email: identity.email } });
    balancer.to(A);
    const me = await agent.get('/me').expect(200);
    expect(me.body.user.providers).toEqual(['google']);
  });

  describe('this service as OpenID Connect provider', () => {
    const discover = () =>
      client.discovery(new URL(balancer.url), APP.client_id, APP.client_secret, undefined, {
        execute: [client.allowInsecureRequests],
      });

    /** The app's authorization request with PKCE. */
    async function authorize(config: client.Configuration) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: APP.redirect_uris[0],
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      return { url, checks: { pkceCodeVerifier: verifier, expectedState: state } };
    }

    /**
     * Follows redirects inside this service until they leave it or reach /login: each hop on the
     * other instance than the one before, starting with `first`; or all on one (`only`).
     */
    async function follow(
      agent: ReturnType<typeof browser>,
      start: URL,
      { first = A, only }: { first?: number; only?: number } = {},
    ): Promise<URL> {
      if (only === undefined) balancer.alternate(first);
      else balancer.to(only);
      let url = start;
      for (let step = 0; step < 10 && url.origin === balancer.url; step++) {
        const response = await agent.get(url.pathname + url.search);
        const location = response.headers.location as string | undefined;
        if (!location) throw new Error(`${response.status} at ${url.pathname}: ${response.text}`);
        url = new URL(location, url);
        if (url.pathname === '/login') return url;
      }
      return url;
    }

    const jwksOf = async (via: number) => {
      balancer.to(via);
      return (await request(balancer.url).get('/.well-known/jwks.json').expect(200))
        .body as JSONWebKeySet;
    };

    it('publishes one signing key on both, though they started together on an empty database', async () => {
      const [ofA, ofB] = [await jwksOf(A), await jwksOf(B)];
      expect(ofA.keys).toHaveLength(1);
      expect(ofB).toEqual(ofA);
      expect(await db().collection('oidc_signing_keys').countDocuments()).toBe(1);
    });

    it('makes one first signing key when the instances race for it on an empty database', async () => {
      const keys = db().collection('oidc_signing_keys');
      await keys.deleteMany({});
      const loaded = await Promise.all(
        [A, B, A, B].map((i) => instances[i].t.app.get(SigningKeys).load()),
      );
      expect(new Set(loaded.map((jwks) => jwks.map(({ kid }) => kid).join(' '))).size).toBe(1);
      expect(loaded[0]).toHaveLength(1);
      expect(await keys.countDocuments()).toBe(1);
      for (const instance of instances) await instance.t.app.get(OidcProvider).reloadKeys();
      expect(await jwksOf(B)).toEqual(await jwksOf(A));
    });

    it('completes a sign-in whose steps cross the instances, with tokens each one accepts', async () => {
      const { agent, userId, account } = await registered(A);
      const config = await discover();
      const { url, checks } = await authorize(config);
      const served = balancer.served.length;
      const callback = await follow(agent, url);
      expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
      // Signed in here already: the provider answers at once, on A; the code is redeemed on B.
      expect(balancer.served.slice(served)).toEqual([A]);

      balancer.to(B);
      const tokens = await client.authorizationCodeGrant(config, callback, checks);
      expect(tokens.claims()).toMatchObject({ sub: userId, email: account.email });
      balancer.to(A);
      const info = await client.fetchUserInfo(config, tokens.access_token, userId);
      expect(info).toMatchObject({ sub: userId, email: account.email });
      // Signed on B, verified with the keys A publishes.
      await jwtVerify(tokens.id_token!, createLocalJWKSet(await jwksOf(A)), {
        issuer: balancer.url,
        audience: APP.client_id,
      });
    });

    it("refuses on A, at once, an app's tokens revoked by signing out everywhere on B", async () => {
      const { agent, userId } = await registered(A);
      const config = await discover();
      const { url, checks } = await authorize(config);
      const callback = await follow(agent, url);
      balancer.to(A);
      const tokens = await client.authorizationCodeGrant(config, callback, checks);
      let started = Date.now();
      await client.fetchUserInfo(config, tokens.access_token, userId);
      const accepted = Date.now() - started;
      balancer.to(B);
      await agent.delete('/me/sessions').expect(204);
      started = Date.now();
      balancer.to(A);
      await expect(client.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
      // The very next request is refused, about as fast as an accepted one: no cache to wait out
      // (compared with the same run's own request, with room for a busy machine).
      expect(Date.now() - started).toBeLessThan(Math.max(1000, 10 * accepted));
      const introspection = await client.tokenIntrospection(config, tokens.access_token);
      expect(introspection.active).toBe(false);
    });

    it('rotates keys with no moment when one instance signs with a key the other does not publish', async () => {
      const oidc = (i: number) => instances[i].t.app.get(OidcProvider);
      /** An ID token of a sign-in made entirely on instance `via`. */
      async function idTokenFrom(via: number): Promise<string> {
        const { agent } = await registered(via);
        const config = await discover();
        const { url, checks } = await authorize(config);
        const callback = await follow(agent, url, { only: via });
        balancer.to(via);
        return (await client.authorizationCodeGrant(config, callback, checks)).id_token!;
      }
      const verifiesWithKeysOf = async (token: string, via: number) =>
        jwtVerify(token, createLocalJWKSet(await jwksOf(via)), {
          issuer: balancer.url,
          audience: APP.client_id,
        });
      const [oldKid] = (await jwksOf(A)).keys.map(({ kid }) => kid);

      await rotateSigningKeys(instances[A].t.app);
      // A has looked for new keys; B not yet (each looks once a minute).
      await oidc(A).reloadKeys();
      expect((await jwksOf(A)).keys).toHaveLength(2);
      expect((await jwksOf(B)).keys).toHaveLength(1);
      const fromA = await idTokenFrom(A);
      expect(decodeProtectedHeader(fromA).kid).toBe(oldKid);
      await verifiesWithKeysOf(fromA, B);

      // Within the minute B has looked too; once the new key is old enough, it signs.
      await oidc(B).reloadKeys();
      const keys = db().collection<{ createdAt: Date }>('oidc_signing_keys');
      for (const key of await keys.find().toArray()) {
        const createdAt = new Date(key.createdAt.getTime() - KEY_ACTIVATION_MS);
        await keys.updateOne({ _id: key._id }, { $set: { createdAt } });
      }
      await oidc(A).reloadKeys();
      const signedWithNew = await idTokenFrom(A);
      expect(decodeProtectedHeader(signedWithNew).kid).not.toBe(oldKid);
      await verifiesWithKeysOf(signedWithNew, B);
      await oidc(B).reloadKeys();
      expect(await jwksOf(B)).toEqual(await jwksOf(A));
    });

    it('brings a browser that signs in on B back from /login to the sign-in an app began on A', async () => {
      const account = newAccount();
      balancer.to(A);
      await register(browser(), account);
      const agent = browser();
      const config = await discover();
      const { url, checks } = await authorize(config);
      const toLogin = await follow(agent, url, { first: A });
      expect(toLogin.pathname).toBe('/login');

      balancer.to(B);
      await agent
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(200);
      const returnTo = new URL(toLogin.searchParams.get('returnTo')!, balancer.url);
      const callback = await follow(agent, returnTo, { first: A });
      expect(callback.origin + callback.pathname).toBe(APP.redirect_uris[0]);
      balancer.to(A);
      const tokens = await client.authorizationCodeGrant(config, callback, checks);
      expect(tokens.claims()?.email).toBe(account.email);
    });
  });

  it('counts one client’s sign-ins on both instances against one limit', async () => {
    const attempt = () =>
      request(balancer.url)
        .post('/auth/login')
        .set(CLIENT_ADDRESS_HEADER, '203.0.113.9')
        // Unknown logins, each its own: only the per-client limit applies, not an account's.
        .send({ login: newAccount().email, password: 'not the password of anyone' });
    balancer.alternate();
    const served = balancer.served.length;
    const statuses: number[] = [];
    for (let i = 0; i < SIGN_IN_RATE_LIMIT; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual(Array(SIGN_IN_RATE_LIMIT).fill(401));
    expect(new Set(balancer.served.slice(served))).toEqual(new Set([A, B]));
    // Over the limit, on whichever instance.
    for (const via of [A, B]) {
      balancer.to(via);
      const refused = await attempt();
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
    }
    // Another client is not held back.
    balancer.to(A);
    await request(balancer.url)
      .post('/auth/login')
      .set(CLIENT_ADDRESS_HEADER, '203.0.113.10')
      .send({ login: newAccount().email, password: 'not the password of anyone' })
      .expect(401);
  });

  it('sends one mail per event with both relays running', async () => {
    balancer.alternate();
    const accounts = Array.from({ length: 8 }, () => newAccount());
    await Promise.all(accounts.map((account) => register(browser(), account)));
    await Promise.all(accounts.map((account) => mail.next(account.email)));
    // Time for a second delivery, were there one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const account of accounts) expect(mail.to(account.email)).toHaveLength(1);
    const records = await db()
      .collection('mail_outbox')
      .find({ to: { $in: accounts.map(({ email }) => email) } })
      .toArray();
    expect(records.map(({ state, attempts }) => [state as string, attempts as number])).toEqual(
      Array(accounts.length).fill(['sent', 1]),
    );
  });
});
