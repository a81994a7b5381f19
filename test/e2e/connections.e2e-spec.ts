import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, register } from '../support/accounts';
import { signInAtProvider } from '../support/providers';
import {
  Browser,
  newIdentity,
  SocialWorld,
  startSocialWorld,
  storedIdentities,
  TestProvider,
} from '../support/social';

interface Connection {
  key: string;
  linked: boolean;
  canUnlink: boolean;
}

const KEYS = ['google', 'github', 'facebook', 'okta'];
/** For each provider, another one to pair it with. */
const partnerOf = (key: string) => KEYS[(KEYS.indexOf(key) + 1) % KEYS.length];

describe('connections and the never-lock-out rule', () => {
  let world: SocialWorld;
  const stored = (id: string) =>
    world.t.db.collection('users').findOne({ _id: new Types.ObjectId(id) });
  /** provider → subject of the account's identities. */
  const identities = async (id: string) => storedIdentities((await stored(id)) as never);

  beforeAll(async () => {
    world = await startSocialWorld();
  });
  afterAll(() => world.close());

  /** A browser signed in to a new account created through `provider`. */
  async function socialAccount(provider: TestProvider) {
    const browser = world.browser();
    const identity = newIdentity();
    const response = await browser.signIn(provider, identity);
    expect(response.body.action).toBe('registered');
    return { browser, identity, userId: response.body.user.id as string };
  }

  async function link(browser: Browser, provider: TestProvider, identity = newIdentity()) {
    return browser.link(provider, identity);
  }

  describe.each(KEYS)('with %s', (key) => {
    let provider: TestProvider;
    let partner: TestProvider;
    beforeAll(() => {
      provider = world.provider(key);
      partner = world.provider(partnerOf(key));
    });

    it('links a second provider to the signed-in account', async () => {
      const { browser, userId } = await socialAccount(provider);
      const response = await link(browser, partner);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ action: 'linked', user: { id: userId } });
      expect([...(response.body.user.providers as string[])].sort()).toEqual(
        [key, partner.key].sort(),
      );
      expect(Object.keys(await identities(userId)).sort()).toEqual([key, partner.key].sort());
    });

    it('links to a password account, and lands a browser back on its settings', async () => {
      const { account } = await register(world.t.http);
      const browser = world.browser();
      await browser.agent
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(200);
      const page = await browser.link(provider, newIdentity(), 'html');
      expect(page.status).toBe(302);
      expect(page.headers.location).toBe('http://localhost:3000/settings?notice=provider-linked');
      const me = await browser.me().expect(200);
      expect(me.body.user.providers).toEqual([key]);
    });

    it('refuses to link an identity that belongs to another account, changing nothing', async () => {
      const owner = await socialAccount(provider);
      const { user } = await register(world.t.http);
      const other = world.browser();
      await other.agent
        .post('/auth/login')
        .send({ login: user.username, password: GOOD_PASSWORD })
        .expect(200);

      const response = await link(other, provider, owner.identity);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('IDENTITY_LINKED_ELSEWHERE');
      expect(await identities(user.id)).toEqual({});
      expect(await identities(owner.userId)).toEqual({ [key]: owner.identity.id });
    });

    it('refuses a second identity of the same provider on one account', async () => {
      const { browser, userId, identity } = await socialAccount(provider);
      const response = await link(browser, provider, newIdentity());
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('PROVIDER_ALREADY_LINKED');
      expect(await identities(userId)).toEqual({ [key]: identity.id });
    });

    it('refuses to unlink the last way to sign in, and allows it once another exists', async () => {
      const { browser, userId } = await socialAccount(provider);
      const before = await browser.agent.get('/me/connections').expect(200);
      expect((before.body.connections as Connection[]).find((c) => c.key === key)).toMatchObject({
        linked: true,
        canUnlink: false,
      });
      const refused = await browser.agent.delete(`/me/connections/${key}`).expect(409);
      expect(refused.body.error.code).toBe('LAST_LOGIN_METHOD');
      expect(refused.body.error.message).toMatch(
        /Set a password, add a passkey or connect another provider/,
      );
      expect(await identities(userId)).toHaveProperty(key);

      await link(browser, partner);
      const after = await browser.agent.get('/me/connections').expect(200);
      expect((after.body.connections as Connection[]).filter((c) => c.canUnlink)).toHaveLength(2);
      await browser.agent.delete(`/me/connections/${key}`).expect(204);
      expect(await identities(userId)).toEqual({ [partner.key]: expect.any(String) });
      const again = await browser.agent.delete(`/me/connections/${key}`).expect(404);
      expect(again.body.error.code).toBe('NOT_LINKED');
    });

    it('lets a new social account set a password without the current one, then remove it again', async () => {
      const { browser, userId } = await socialAccount(provider);
      await browser.agent.put('/me/password').send({ newPassword: GOOD_PASSWORD }).expect(204);
      const me = await browser.me().expect(200);
      expect(me.body.user.hasPassword).toBe(true);
      await request(world.t.http)
        .post('/auth/login')
        .send({ login: me.body.user.username, password: GOOD_PASSWORD })
        .expect(200);

      const connections = await browser.agent.get('/me/connections').expect(200);
      expect(connections.body.password).toEqual({ set: true, canRemove: true });
      await browser.agent.delete('/me/password').expect(204);
      expect((await stored(userId))?.passwordHash).toBeUndefined();
      const none = await browser.agent.delete('/me/password').expect(404);
      expect(none.body.error.code).toBe('NO_PASSWORD');
    });
  });

  it('refuses to remove the password of an account that has nothing else', async () => {
    const { cookie, user } = await register(world.t.http);
    const connections = await request(world.t.http)
      .get('/me/connections')
      .set('Cookie', cookie)
      .expect(200);
    expect(connections.body).toEqual({
      connections: [
        { key: 'google', name: 'Google', linked: false, canUnlink: false },
        { key: 'github', name: 'GitHub', linked: false, canUnlink: false },
        { key: 'facebook', name: 'Facebook', linked: false, canUnlink: false },
        { key: 'okta', name: 'Okta', linked: false, canUnlink: false },
      ],
      password: { set: true, canRemove: false },
    });
    const response = await request(world.t.http)
      .delete('/me/password')
      .set('Cookie', cookie)
      .expect(409);
    expect(response.body.error.code).toBe('LAST_LOGIN_METHOD');
    expect((await stored(user.id))?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('needs the current password, or a recent sign-in, to set one on a social account later', async () => {
    const { browser, userId } = await socialAccount(world.provider('google'));
    // Time passes: the sign-in is no longer recent.
    await world.t.db
      .collection('sessions')
      .updateMany(
        { userId: new Types.ObjectId(userId) },
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );
    const response = await browser.agent
      .put('/me/password')
      .send({ newPassword: GOOD_PASSWORD })
      .expect(401);
    expect(response.body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
    expect((await stored(userId))?.passwordHash).toBeUndefined();
  });

  it('lets a social account delete itself without a password right after signing in', async () => {
    const { browser, userId } = await socialAccount(world.provider('okta'));
    await browser.agent.delete('/me').expect(204);
    expect(await stored(userId)).toBeNull();
    await browser.me().expect(401);
  });

  it('answers 404 for unlinking a provider that is not enabled', async () => {
    const { cookie } = await register(world.t.http);
    const response = await request(world.t.http)
      .delete('/me/connections/myspace')
      .set('Cookie', cookie)
      .expect(404);
    expect(response.body.error.code).toBe('UNKNOWN_PROVIDER');
  });

  it('does not link when the person signed out while the provider was asked', async () => {
    const { browser, userId } = await socialAccount(world.provider('google'));
    const github = world.provider('github');
    github.prepare(newIdentity());
    const url = new URL(await signInAtProvider(await browser.startLink(github)));
    await browser.agent.post('/auth/logout').expect(204);
    const response = await browser.callback(url);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('SIGN_IN_CHANGED');
    expect(Object.keys(await identities(userId))).toEqual(['google']);
    await browser.me().expect(401);
  });

  it.each(KEYS)(
    'leaves exactly one provider after 50 parallel unlinks of an account with three (from %s) and no password',
    async (key) => {
      const others = KEYS.filter((other) => other !== key).slice(0, 2);
      const { browser, userId } = await socialAccount(world.provider(key));
      for (const other of others) await link(browser, world.provider(other));
      const keys = [key, ...others];
      expect(Object.keys(await identities(userId)).sort()).toEqual([...keys].sort());

      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          browser.agent.delete(`/me/connections/${keys[i % 3]}`),
        ),
      );

      const remaining = Object.keys(await identities(userId));
      expect(remaining).toHaveLength(1);
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 204)).toHaveLength(2);
      expect(statuses.every((s) => [204, 404, 409].includes(s))).toBe(true);
      // The one left still signs in.
      const me = await browser.me().expect(200);
      expect(me.body.user.providers).toEqual(remaining);
    },
  );
});
