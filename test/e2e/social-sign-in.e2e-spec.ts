import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import {
  Browser,
  newIdentity,
  PUBLIC_URL,
  SocialWorld,
  startSocialWorld,
  storedIdentities,
  TestProvider,
} from '../support/social';

describe('social sign-in', () => {
  let world: SocialWorld;
  const users = () => world.t.db.collection('users');
  const userCount = () => users().countDocuments();

  beforeAll(async () => {
    world = await startSocialWorld();
  });
  afterAll(() => world.close());

  it('lists the enabled providers', async () => {
    const response = await request(world.t.http).get('/auth/providers').expect(200);
    expect(response.body).toEqual([
      { key: 'google', name: 'Google' },
      { key: 'github', name: 'GitHub' },
      { key: 'facebook', name: 'Facebook' },
      { key: 'okta', name: 'Okta' },
    ]);
  });

  it('answers an unknown provider with 404', async () => {
    const response = await request(world.t.http)
      .get('/auth/myspace')
      .set('Accept', 'application/json');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('UNKNOWN_PROVIDER');
  });

  describe.each(['google', 'github', 'facebook', 'okta'])('with %s', (key) => {
    let provider: TestProvider;
    beforeAll(() => {
      provider = world.provider(key);
    });

    it('sends state and a PKCE challenge (and a nonce for OIDC) to the provider', async () => {
      const location = new URL(await world.browser().start(provider));
      expect(location.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
      expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
      expect(location.searchParams.get('code_challenge_method')).toBe('S256');
      expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/${key}/callback`);
      if (key === 'okta') expect(location.searchParams.get('nonce')).toMatch(/^[\w-]{22}$/);
    });

    it('registers a new account, then signs the same identity in again', async () => {
      const identity = newIdentity({
        name: 'Ada Lovelace',
        login: key === 'github' || key === 'okta' ? 'ada' : undefined,
      });
      const browser = world.browser();
      const first = await browser.signIn(provider, identity);
      expect(first.status).toBe(200);
      expect(first.body.action).toBe('registered');
      expect(first.body.user).toMatchObject({
        email: provider.vouchesForEmail ? identity.email : null,
        name: 'Ada Lovelace',
        hasPassword: false,
        providers: [key],
      });
      expect(first.body.user.username).toMatch(/^ada(_lovelace)?\d*$/);
      const me = await browser.me().expect(200);
      expect(me.body.user.id).toBe(first.body.user.id);
      const stored = await users().findOne({
        _id: new Types.ObjectId(first.body.user.id as string),
      });
      expect(storedIdentities(stored as never)).toEqual({ [key]: identity.id });

      const count = await userCount();
      const again = await world.browser().signIn(provider, identity);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ action: 'signed-in', user: { id: first.body.user.id } });
      expect(await userCount()).toBe(count);
    });

    it('makes usernames unique: ada, ada1, …', async () => {
      const a = await world
        .browser()
        .signIn(provider, newIdentity({ name: 'Grace', login: 'grace' }));
      const b = await world
        .browser()
        .signIn(provider, newIdentity({ name: 'Grace', login: 'grace' }));
      expect(a.body.user.username).toMatch(/^grace\d*$/);
      expect(b.body.user.username).toMatch(/^grace\d+$/);
      expect(b.body.user.username).not.toBe(a.body.user.username);
    });

    it('redirects a browser to returnTo when it is a path on this service', async () => {
      const browser = world.browser();
      provider.prepare(newIdentity());
      const url = await browser.authorize(provider, newIdentity(), '/settings?tab=connections');
      const response = await browser.callback(url, 'html').expect(302);
      expect(response.headers.location).toBe(`${PUBLIC_URL}/settings?tab=connections`);
      await browser.me().expect(200);
    });

    it.each([
      'https://evil.example.net/steal',
      '//evil.example.net',
      '/\\evil.example.net',
      // Paths that resolve to "//evil.example.net/x" once dot segments are removed.
      '/..//evil.example.net/x',
      '/.//evil.example.net/x',
      '/%2e%2e//evil.example.net/x',
      '/a/..//evil.example.net/x',
    ])('ignores an open-redirect returnTo %p', async (returnTo) => {
      const browser = world.browser();
      const url = await browser.authorize(provider, newIdentity(), returnTo);
      const response = await browser.callback(url, 'html').expect(302);
      expect(response.headers.location).toBe(`${PUBLIC_URL}/`);
    });

    it('refuses a callback from another browser (state not bound to it): no session, no account', async () => {
      const count = await userCount();
      const url = await world.browser().authorize(provider, newIdentity());
      const other = world.browser();
      const response = await other.callback(url);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('STATE_MISMATCH');
      await other.me().expect(401);
      expect(await userCount()).toBe(count);
    });

    it('refuses a missing or forged state, and shows browsers the sign-in page with the code', async () => {
      const browser = world.browser();
      const url = await browser.authorize(provider, newIdentity());
      url.searchParams.set('state', 'forged');
      const page = await browser.callback(url, 'html').expect(302);
      expect(page.headers.location).toBe(`${PUBLIC_URL}/login?error=STATE_MISMATCH`);
      url.searchParams.delete('state');
      expect((await browser.callback(url)).body.error.code).toBe('STATE_MISMATCH');
      await browser.me().expect(401);
    });

    it('refuses a replayed callback and a replayed code', async () => {
      const browser = world.browser();
      const url = await browser.authorize(provider, newIdentity());
      await browser.callback(url).expect(200);
      await browser.agent.post('/auth/logout').expect(204);
      const count = await userCount();

      // The same callback again: its state was used up.
      expect((await browser.callback(url)).body.error.code).toBe('STATE_MISMATCH');
      // The used code with a fresh state of this browser: the provider refuses the code.
      const fresh = await browser.authorize(provider, newIdentity());
      fresh.searchParams.set('code', url.searchParams.get('code')!);
      const replay = await browser.callback(fresh);
      expect(replay.status).toBe(400);
      expect(replay.body.error.code).toBe('CODE_REJECTED');
      await browser.me().expect(401);
      expect(await userCount()).toBe(count);
    });

    it('does not take an email the provider has not verified', async () => {
      const victim = await register(
        world.t.http,
        newAccount({ email: `victim-unverified-${key}@example.test` }),
      );
      const response = await world
        .browser()
        .signIn(provider, newIdentity({ email: victim.account.email, emailVerified: false }));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ action: 'registered', user: { email: null } });
      const stored = await users().findOne({ email: victim.account.email });
      expect(storedIdentities(stored as never)).toEqual({});
    });

    it('never merges into an account that verified the same email', async () => {
      const owner = await register(
        world.t.http,
        newAccount({ email: `owner-${key}@example.test` }),
      );
      await users().updateOne({ email: owner.account.email }, { $set: { emailVerified: true } });
      const count = await userCount();

      const other = world.browser();
      const response = await other.signIn(provider, newIdentity({ email: owner.account.email }));

      const ownerAccount = await users().findOne({ email: owner.account.email });
      expect(storedIdentities(ownerAccount as never)).toEqual({});
      if (provider.vouchesForEmail) {
        expect(response.status).toBe(409);
        expect(response.body.error.code).toBe('EMAIL_BELONGS_TO_ANOTHER_ACCOUNT');
        expect(response.body.error.message).toMatch(/connect .* from your settings/);
        expect(await userCount()).toBe(count);
        await other.me().expect(401);
      } else {
        // Facebook's email is never trusted, so the person simply gets an account of their own.
        expect(response.body.user.email).toBeNull();
      }
    });

    it('takes the email from an account that never verified it (pre-hijacking defence)', async () => {
      // The attacker registers the victim's email with a password, before the victim ever comes.
      const attacker = await register(
        world.t.http,
        newAccount({ email: `victim-${key}@example.test` }),
      );
      const victim = world.browser();
      const response = await victim.signIn(
        provider,
        newIdentity({ email: attacker.account.email }),
      );
      expect(response.status).toBe(200);
      expect(response.body.action).toBe('registered');
      expect(response.body.user.id).not.toBe(attacker.user.id);
      const attackerAccount = await users().findOne({ _id: new Types.ObjectId(attacker.user.id) });
      expect(storedIdentities(attackerAccount as never)).toEqual({});
      if (provider.vouchesForEmail) {
        // The provider proved the address: it is the victim's now, and the squatter's password no
        // longer opens anything with it.
        expect(response.body.user).toMatchObject({
          email: attacker.account.email,
          emailVerified: true,
        });
        expect(attackerAccount?.email).toBeUndefined();
        await request(world.t.http)
          .post('/auth/login')
          .send({ login: attacker.account.email, password: GOOD_PASSWORD })
          .expect(401);
      } else {
        expect(response.body.user.email).toBeNull();
        expect(attackerAccount?.email).toBe(attacker.account.email);
      }
    });

    it('takes a vouched strasse as its own address, never as straße: no merge, nothing taken', async () => {
      const tag = `${key}-${Date.now().toString(36)}`;
      const verified = await register(
        world.t.http,
        newAccount({ email: `straße.${tag}@example.test` }),
      );
      await users().updateOne({ email: verified.account.email }, { $set: { emailVerified: true } });
      const unverified = await register(
        world.t.http,
        newAccount({ email: `straße.unverified.${tag}@example.test` }),
      );
      for (const email of [
        `strasse.${tag}@example.test`,
        `strasse.unverified.${tag}@example.test`,
      ]) {
        const response = await world.browser().signIn(provider, newIdentity({ email }));
        expect(response.status).toBe(200);
        expect(response.body.action).toBe('registered');
        expect(response.body.user.email).toBe(provider.vouchesForEmail ? email : null);
      }
      for (const { account, user } of [verified, unverified]) {
        const stored = await users().findOne({ _id: new Types.ObjectId(user.id) });
        expect(stored).toMatchObject({ email: account.email });
        expect(storedIdentities(stored as never)).toEqual({});
      }
    });

    it('counts a vouched address with a ligature or a zero-width character as no address', async () => {
      const tag = `${key}-${Date.now().toString(36)}`;
      const fi = await register(world.t.http, newAccount({ email: `fi.${tag}@example.test` }));
      for (const email of [`ﬁ.${tag}@example.test`, `fi\u200b.${tag}@example.test`]) {
        const response = await world.browser().signIn(provider, newIdentity({ email }));
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ action: 'registered', user: { email: null } });
        expect(await users().countDocuments({ email })).toBe(0);
      }
      expect(await users().findOne({ _id: new Types.ObjectId(fi.user.id) })).toMatchObject({
        email: fi.account.email,
      });
    });

    it('reports a refusal at the provider as PROVIDER_DENIED', async () => {
      const browser = world.browser();
      let url: URL;
      if (provider.emulator) {
        provider.emulator.denyNext();
        url = new URL(
          await (
            await import('../support/providers')
          ).signInAtProvider(await browser.start(provider)),
        );
      } else {
        // An issuer says no with error=access_denied on the callback.
        const start = new URL(await browser.start(provider));
        url = new URL(
          `${PUBLIC_URL}/auth/${key}/callback?error=access_denied&state=${start.searchParams.get('state')}`,
        );
      }
      const page = await browser.callback(url, 'html').expect(302);
      expect(page.headers.location).toBe(`${PUBLIC_URL}/login?error=PROVIDER_DENIED`);
      await browser.me().expect(401);
    });
  });

  describe.each(['google', 'github', 'facebook'])('when %s fails', (key) => {
    it('reports a token endpoint outage as PROVIDER_UNAVAILABLE', async () => {
      const provider = world.provider(key);
      const browser = world.browser();
      const url = await browser.authorize(provider, newIdentity());
      provider.emulator!.failNext('token', 'error');
      const response = await browser.callback(url);
      expect(response.status).toBe(504);
      expect(response.body.error.code).toBe('PROVIDER_UNAVAILABLE');
      await browser.me().expect(401);
    });

    it('reports a failing profile endpoint without creating anything', async () => {
      const provider = world.provider(key);
      const count = await userCount();
      const browser = world.browser();
      const url = await browser.authorize(provider, newIdentity());
      provider.emulator!.failNext('profile', 'error');
      const response = await browser.callback(url);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(600);
      expect(response.status).not.toBe(500);
      expect(await userCount()).toBe(count);
    });
  });
});

describe('social sign-in against slow or wrong providers', () => {
  let world: SocialWorld;
  beforeAll(async () => {
    world = await startSocialWorld({ PROVIDER_TIMEOUT_SECONDS: '1' });
  });
  afterAll(() => world.close());

  it('gives up on a provider that hangs, within the timeout', async () => {
    const provider = world.provider('google');
    const browser = world.browser();
    const url = await browser.authorize(provider, newIdentity());
    provider.emulator!.failNext('token', 'hang');
    const started = Date.now();
    const response = await browser.callback(url);
    expect(response.body.error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('OpenID Connect issuer checks', () => {
  it('refuses an issuer that announces another issuer identifier', async () => {
    const { startOidcIssuer, combineOidcEnv } = await import('../support/providers');
    const { createTestApp } = await import('../support/test-app');
    const wrong = await startOidcIssuer({
      key: 'corp',
      issuerId: 'https://impostor.example.com',
      publicUrl: PUBLIC_URL,
    });
    const t = await createTestApp({ env: { PUBLIC_URL, ...combineOidcEnv([wrong]) } });
    try {
      const browser = new Browser(t.http);
      const page = await browser.agent.get('/auth/corp').expect(302);
      expect(page.headers.location).toBe(`${PUBLIC_URL}/login?error=INVALID_ID_TOKEN`);
      const json = await browser.agent.get('/auth/corp').set('Accept', 'application/json');
      expect(json.body.error.code).toBe('INVALID_ID_TOKEN');
      expect(await t.db.collection('users').countDocuments()).toBe(0);
    } finally {
      await t.close();
      await wrong.close();
    }
  });

  it('reports an issuer that is down as PROVIDER_UNAVAILABLE', async () => {
    const { startOidcIssuer, combineOidcEnv } = await import('../support/providers');
    const { createTestApp } = await import('../support/test-app');
    const issuer = await startOidcIssuer({ key: 'corp', publicUrl: PUBLIC_URL });
    const env = combineOidcEnv([issuer]);
    await issuer.close();
    const t = await createTestApp({ env: { PUBLIC_URL, ...env } });
    try {
      const response = await request(t.http).get('/auth/corp').set('Accept', 'application/json');
      expect(response.status).toBe(504);
      expect(response.body.error.code).toBe('PROVIDER_UNAVAILABLE');
    } finally {
      await t.close();
    }
  });
});
