import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount } from '../support/accounts';
import { socialWorldWithMail, SocialWorldWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import { Browser, newIdentity, SocialWorld } from '../support/social';

const NEW_PASSWORD = 'another passphrase, just as long';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

interface StoredEvent {
  _id: Types.ObjectId;
  type: string;
  userId?: Types.ObjectId;
  actor: { kind: string; id?: string };
  ip?: string;
  userAgent?: string;
  at: Date;
  expiresAt: Date;
  details?: Record<string, unknown>;
}

interface EventItem {
  id: string;
  type: string;
  at: string;
  actor: { kind: string; self: boolean };
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/**
 * The audit log of what happens to accounts (the `events` collection), the owner's view of it
 * (GET /me/events and the settings page). TRUST_PROXY=loopback: each browser below says where it
 * is with X-Forwarded-For, as a proxy on the loopback interface would.
 */
describe('security events', () => {
  let mail: MailServer;
  let world: SocialWorld;
  const http = () => world.t.http;
  const events = () => world.t.db.collection<StoredEvent>('events');
  const eventsOf = (userId: string) =>
    events()
      .find({ userId: new Types.ObjectId(userId) })
      .sort({ _id: 1 })
      .toArray();

  let fixture: SocialWorldWithMail;
  beforeAll(async () => {
    fixture = await socialWorldWithMail({
      TRUST_PROXY: 'loopback',
      SIGN_IN_LOCK_AFTER_FAILURES: '3',
    });
    ({ mail, world } = fixture);
  });
  afterAll(() => fixture?.close());

  /** A browser at `ip` that sends `userAgent` with every request. */
  function browserAt(ip: string, userAgent = FIREFOX): Browser {
    const browser = world.browser();
    browser.agent.set('User-Agent', userAgent).set('X-Forwarded-For', ip);
    return browser;
  }

  async function registerAt(ip: string, userAgent = FIREFOX) {
    const browser = browserAt(ip, userAgent);
    const account = newAccount();
    const response = await browser.agent.post('/auth/register').send(account).expect(201);
    return { browser, account, id: response.body.user.id as string };
  }

  /** Every event as recorded: the account, who acted, from where, when, and for how long. */
  function expectEachRecorded(
    stored: StoredEvent[],
    userId: string,
    actor: StoredEvent['actor'],
    since: Date,
  ) {
    for (const event of stored) {
      expect({ type: event.type, userId: String(event.userId), actor: event.actor }).toEqual({
        type: event.type,
        userId,
        actor,
      });
      expect(event.at.getTime()).toBeGreaterThanOrEqual(since.getTime() - 1000);
      expect(event.at.getTime()).toBeLessThanOrEqual(Date.now());
      // EVENTS_RETENTION_DAYS (90 by default) after it happened, MongoDB removes it.
      expect(event.expiresAt.getTime() - event.at.getTime()).toBe(90 * 86_400_000);
    }
  }

  it('records registration, sign-in, profile and password changes, sessions signed out and the deletion, with who, from where and when', async () => {
    const since = new Date();
    const laptop = await registerAt('203.0.113.1');
    const phone = browserAt('203.0.113.2', SAFARI_IPHONE);
    const signIn = (password: string) =>
      phone.agent.post('/auth/login').send({ login: laptop.account.email, password }).expect(200);

    await signIn(GOOD_PASSWORD);
    await laptop.browser.agent.patch('/me').send({ name: 'Ada' }).expect(200);
    // The same name again changes nothing, and records nothing.
    await laptop.browser.agent.patch('/me').send({ name: 'Ada' }).expect(200);
    await laptop.browser.agent
      .put('/me/password')
      .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD })
      .expect(204);
    await signIn(NEW_PASSWORD);
    const sessions = await laptop.browser.agent.get('/me/sessions').expect(200);
    const other = (sessions.body as Array<{ id: string; current: boolean }>).find(
      ({ current }) => !current,
    )!;
    await laptop.browser.agent.delete(`/me/sessions/${other.id}`).expect(204);
    await signIn(NEW_PASSWORD);
    await laptop.browser.agent.delete('/me/sessions').expect(204);
    await laptop.browser.agent.delete('/me').send({ password: NEW_PASSWORD }).expect(204);

    const stored = await eventsOf(laptop.id);
    expect(
      stored.map(({ type, ip, userAgent, details }) => [type, ip, userAgent, details]),
    ).toEqual([
      ['user.created', '203.0.113.1', FIREFOX, { method: 'password' }],
      ['sign_in.succeeded', '203.0.113.2', SAFARI_IPHONE, { method: 'password' }],
      ['profile.updated', '203.0.113.1', FIREFOX, { fields: ['name'] }],
      ['password.changed', '203.0.113.1', FIREFOX, undefined],
      ['sign_in.succeeded', '203.0.113.2', SAFARI_IPHONE, { method: 'password' }],
      ['session.revoked', '203.0.113.1', FIREFOX, { scope: 'one' }],
      ['sign_in.succeeded', '203.0.113.2', SAFARI_IPHONE, { method: 'password' }],
      ['session.revoked', '203.0.113.1', FIREFOX, { scope: 'others', count: 1 }],
      ['user.deleted', '203.0.113.1', FIREFOX, undefined],
    ]);
    expectEachRecorded(stored, laptop.id, { kind: 'user', id: laptop.id }, since);
  });

  it('records failed password sign-ins without what was typed: on the account for a wrong password, on none for an unknown login', async () => {
    const since = new Date();
    const owner = await registerAt('203.0.113.3');
    const attacker = browserAt('198.51.100.9', 'curl/8.5.0');
    const guess = 'wrong guess number one';
    const unknownLogin = `nobody-${Date.now()}@example.test`;

    await attacker.agent
      .post('/auth/login')
      .send({ login: owner.account.email, password: guess })
      .expect(401);
    await attacker.agent
      .post('/auth/login')
      .send({ login: unknownLogin, password: 'another secret guess' })
      .expect(401);

    const [, failed] = await eventsOf(owner.id);
    expect(failed).toMatchObject({
      type: 'sign_in.failed',
      actor: { kind: 'anonymous' },
      ip: '198.51.100.9',
      userAgent: 'curl/8.5.0',
      details: { method: 'password', reason: 'wrong_password' },
    });
    expect(failed.at.getTime()).toBeGreaterThanOrEqual(since.getTime() - 1000);
    const unknown = await events().findOne({
      type: 'sign_in.failed',
      userId: { $exists: false },
      at: { $gte: since },
    });
    expect(unknown).toMatchObject({
      actor: { kind: 'anonymous' },
      ip: '198.51.100.9',
      details: { method: 'password', reason: 'unknown_login' },
    });
    const everything = JSON.stringify(await events().find().toArray());
    for (const typed of [guess, unknownLogin, 'another secret guess', GOOD_PASSWORD]) {
      expect(everything).not.toContain(typed);
    }
  });

  it('counts parallel sign-ins with made-up logins from one client in one event, none lost', async () => {
    const attacker = browserAt('198.51.100.44', 'stuffer/1.0');
    const stamp = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        attacker.agent
          .post('/auth/login')
          .send({ login: `stuffed_${i}_${stamp}@example.test`, password: `guess ${i}` }),
      ),
    );
    expect(answers.map(({ status }) => status)).toEqual(Array(25).fill(401));
    const counted = await events()
      .find({ type: 'sign_in.failed', userId: { $exists: false }, ip: '198.51.100.44' })
      .toArray();
    // One per quarter hour: two if the burst crossed one.
    expect(counted.length).toBeGreaterThanOrEqual(1);
    expect(counted.length).toBeLessThanOrEqual(2);
    expect(counted.reduce((sum, { details }) => sum + (details?.attempts as number), 0)).toBe(25);
    expect(counted[0]).toMatchObject({
      actor: { kind: 'anonymous' },
      userAgent: 'stuffer/1.0',
      details: { method: 'password', reason: 'unknown_login' },
    });
  });

  it('marks the failure that locked the password, and records no attempt refused by the lock', async () => {
    const owner = await registerAt('203.0.113.4');
    const attacker = browserAt('198.51.100.10');
    const attempt = () =>
      attacker.agent
        .post('/auth/login')
        .send({ login: owner.account.email, password: 'not the password at all' });
    for (let i = 0; i < 3; i++) await attempt().expect(401);
    expect((await attempt().expect(429)).body.error.code).toBe('SIGN_IN_LOCKED');

    const failures = (await eventsOf(owner.id)).filter(({ type }) => type === 'sign_in.failed');
    expect(failures.map(({ details }) => details)).toEqual([
      { method: 'password', reason: 'wrong_password' },
      { method: 'password', reason: 'wrong_password' },
      { method: 'password', reason: 'wrong_password', locked: true },
    ]);
  });

  it('records a provider sign-up and sign-in, connecting and disconnecting a provider, and setting and removing the password', async () => {
    const since = new Date();
    const identity = newIdentity();
    const browser = browserAt('203.0.113.5');
    const registered = await browser.signIn(world.provider('google'), identity);
    expect(registered.body.action).toBe('registered');
    const id = registered.body.user.id as string;
    const again = await browserAt('203.0.113.6', SAFARI_IPHONE).signIn(
      world.provider('google'),
      identity,
    );
    expect(again.body.action).toBe('signed-in');
    expect((await browser.link(world.provider('github'), newIdentity())).status).toBe(200);
    await browser.agent.delete('/me/connections/github').expect(204);
    await browser.agent.put('/me/password').send({ newPassword: NEW_PASSWORD }).expect(204);
    await browser.agent.delete('/me/password').expect(204);

    const stored = await eventsOf(id);
    expect(
      stored.map(({ type, ip, userAgent, details }) => [type, ip, userAgent, details]),
    ).toEqual([
      ['user.created', '203.0.113.5', FIREFOX, { method: 'provider', provider: 'google' }],
      [
        'sign_in.succeeded',
        '203.0.113.6',
        SAFARI_IPHONE,
        { method: 'provider', provider: 'google' },
      ],
      ['identity.linked', '203.0.113.5', FIREFOX, { provider: 'github' }],
      ['identity.unlinked', '203.0.113.5', FIREFOX, { provider: 'github' }],
      ['password.set', '203.0.113.5', FIREFOX, undefined],
      ['password.removed', '203.0.113.5', FIREFOX, undefined],
    ]);
    expectEachRecorded(stored, id, { kind: 'user', id }, since);
  });

  it('records the email confirmed and changed (keeping neither address), a recovery link asked for and used', async () => {
    const owner = await registerAt('203.0.113.7');
    const verify = tokenIn(await mail.next(owner.account.email), '/verify-email');
    await owner.browser.agent.post('/auth/email/verify').send({ token: verify }).expect(200);
    const newEmail = newAccount().email;
    await owner.browser.agent.patch('/me').send({ email: newEmail }).expect(202);
    const change = tokenIn(await mail.next(newEmail), '/verify-email');
    await owner.browser.agent.post('/auth/email/verify').send({ token: change }).expect(200);

    const stranger = browserAt('198.51.100.11', 'curl/8.5.0');
    await stranger.agent.post('/auth/password/forgot').send({ email: newEmail }).expect(202);
    const reset = tokenIn(await mail.next(newEmail, 2), '/reset-password');
    await stranger.agent
      .post('/auth/password/reset')
      .send({ token: reset, newPassword: NEW_PASSWORD })
      .expect(204);

    const stored = await eventsOf(owner.id);
    const self = { kind: 'user', id: owner.id };
    const anonymous = { kind: 'anonymous' };
    expect(
      stored.map(({ type, ip, userAgent, actor, details }) => [
        type,
        ip,
        userAgent,
        actor,
        details,
      ]),
    ).toEqual([
      ['user.created', '203.0.113.7', FIREFOX, self, { method: 'password' }],
      ['email.verified', '203.0.113.7', FIREFOX, self, undefined],
      ['email.changed', '203.0.113.7', FIREFOX, self, undefined],
      // Whoever holds the link: not someone signed in.
      ['password.reset_requested', '198.51.100.11', 'curl/8.5.0', anonymous, undefined],
      ['password.reset', '198.51.100.11', 'curl/8.5.0', anonymous, undefined],
    ]);
    for (const { at } of stored) expect(at.getTime()).toBeLessThanOrEqual(Date.now());
    const text = JSON.stringify(stored);
    expect(text).not.toContain(owner.account.email);
    expect(text).not.toContain(newEmail);
  });

  it('records what proving an address takes from an account that never proved it: its providers, or the address itself', async () => {
    // Linked while the address was unproven; then a recovery link proves the address.
    const claimer = await registerAt('203.0.113.16');
    expect((await claimer.browser.link(world.provider('github'), newIdentity())).status).toBe(200);
    await browserAt('198.51.100.14')
      .agent.post('/auth/password/forgot')
      .send({ email: claimer.account.email })
      .expect(202);
    const reset = tokenIn(await mail.next(claimer.account.email, 2), '/reset-password');
    await browserAt('198.51.100.14')
      .agent.post('/auth/password/reset')
      .send({ token: reset, newPassword: NEW_PASSWORD })
      .expect(204);
    expect(
      (await eventsOf(claimer.id)).slice(2).map(({ type, details }) => [type, details]),
    ).toEqual([
      ['password.reset_requested', undefined],
      ['password.reset', undefined],
      ['email.verified', undefined],
      ['identity.unlinked', { provider: 'github', reason: 'linked_before_email_verified' }],
    ]);

    // An account that only claimed an address loses it to whoever signs in with a provider that
    // vouches for it.
    const squatter = await registerAt('203.0.113.17');
    const owner = await browserAt('203.0.113.18').signIn(
      world.provider('google'),
      newIdentity({ email: squatter.account.email }),
    );
    expect(owner.body.action).toBe('registered');
    const [, released] = await eventsOf(squatter.id);
    expect(released).toMatchObject({
      type: 'email.changed',
      actor: { kind: 'user', id: owner.body.user.id as string },
      ip: '203.0.113.18',
      details: { released: true },
    });
  });

  describe('GET /me/events', () => {
    it('pages through the account’s own events, newest first', async () => {
      const owner = await registerAt('203.0.113.8');
      const stranger = await registerAt('203.0.113.9');
      for (const name of ['One', 'Two', 'Three']) {
        await owner.browser.agent.patch('/me').send({ name }).expect(200);
      }
      await stranger.browser.agent.patch('/me').send({ name: 'Stranger' }).expect(200);

      const page = async (query: string) =>
        (await owner.browser.agent.get(`/me/events${query}`).expect(200)).body as EventItem[];
      const all = await page('');
      expect(all.map(({ type }) => type)).toEqual([
        'profile.updated',
        'profile.updated',
        'profile.updated',
        'user.created',
      ]);
      expect(all[0]).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        type: 'profile.updated',
        at: expect.any(String),
        actor: { kind: 'user', self: true },
        ip: '203.0.113.8',
        userAgent: FIREFOX,
        details: { fields: ['name'] },
      });
      const times = all.map(({ at }) => Date.parse(at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      const first = await page('?limit=3');
      const second = await page(`?limit=3&before=${first[2].id}`);
      const third = await page(`?limit=3&before=${second[0].id}`);
      expect(first.map(({ id }) => id)).toEqual(all.slice(0, 3).map(({ id }) => id));
      expect(second.map(({ id }) => id)).toEqual([all[3].id]);
      expect(third).toEqual([]);
    });

    it('shows a failed sign-in’s address and device, and needs a session', async () => {
      const owner = await registerAt('203.0.113.12');
      await browserAt('198.51.100.12', 'curl/8.5.0')
        .agent.post('/auth/login')
        .send({ login: owner.account.email, password: 'a wrong guess for sure' })
        .expect(401);
      const [failed] = (await owner.browser.agent.get('/me/events?limit=1').expect(200))
        .body as EventItem[];
      expect(failed).toMatchObject({
        type: 'sign_in.failed',
        actor: { kind: 'anonymous', self: false },
        ip: '198.51.100.12',
        userAgent: 'curl/8.5.0',
        details: { method: 'password', reason: 'wrong_password' },
      });
      const anonymous = await request(http()).get('/me/events').expect(401);
      expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
    });

    it.each([
      ['before=not-an-id', 'before'],
      // 24 characters that IsMongoId took, and ObjectId then refused with a 500.
      ['before=0x1234567890abcdef123456', 'before'],
      ['limit=0', 'limit'],
      ['limit=1e1', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['userId=665f1c2e9b1e8a0012345678', 'userId'],
    ])('refuses ?%s with 400 naming %s', async (query, field) => {
      const { browser } = await registerAt('203.0.113.13');
      const response = await browser.agent.get(`/me/events?${query}`).expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    });

    it('is described in the OpenAPI document', async () => {
      const { body } = await request(http()).get('/docs-json').expect(200);
      const route = body.paths['/me/events'].get as {
        parameters: Array<{ name: string }>;
        responses: Record<string, { content: Record<string, { schema: unknown }> }>;
      };
      expect(route.parameters.map(({ name }) => name).sort()).toEqual(['before', 'limit']);
      expect(Object.keys(route.responses).sort()).toEqual(['200', '400', '401', '503']);
      expect(route.responses['200'].content['application/json'].schema).toEqual({
        type: 'array',
        items: { $ref: '#/components/schemas/EventView' },
      });
      expect(Object.keys(body.components.schemas.EventView.properties).sort()).toEqual(
        ['actor', 'at', 'details', 'id', 'ip', 'type', 'userAgent'].sort(),
      );
    });
  });

  describe('the settings page', () => {
    const activityOf = async (browser: Browser) => {
      const page = await browser.agent.get('/settings').expect(200);
      const section = /<section aria-labelledby="activity-heading">([\s\S]*?)<\/section>/.exec(
        page.text,
      )![1];
      return {
        section,
        what: [...section.matchAll(/<p class="activity-what">([\s\S]*?)<\/p>/g)].map(([, text]) =>
          text.replace(/<[^>]+>/g, '').trim(),
        ),
      };
    };

    it('lists the account’s latest ten events, newest first, with where they came from, and none of another account’s', async () => {
      const owner = await registerAt('203.0.113.14');
      const other = await registerAt('203.0.113.15');
      await browserAt('198.51.100.13', SAFARI_IPHONE)
        .agent.post('/auth/login')
        .send({ login: owner.account.email, password: 'a wrong guess for sure' })
        .expect(401);
      await other.browser.agent.patch('/me').send({ name: 'Somebody else' }).expect(200);

      const early = await activityOf(owner.browser);
      expect(early.what).toEqual(['Failed sign-in with a wrong password', 'Account created']);
      expect(early.section).toContain('198.51.100.13');
      expect(early.section).toContain('Safari on iOS');
      expect(early.section).toContain('203.0.113.14');
      expect(early.section).toContain('Firefox on Windows');
      expect(early.section).not.toContain('203.0.113.15');

      for (let i = 1; i <= 10; i++) {
        await owner.browser.agent
          .patch('/me')
          .send({ name: `Name ${i}` })
          .expect(200);
      }
      const later = await activityOf(owner.browser);
      expect(later.what).toEqual(Array(10).fill('Profile updated: name'));
      expect(later.section).not.toContain('Account created');
    });
  });
});
