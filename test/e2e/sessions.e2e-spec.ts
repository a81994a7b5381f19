import { createHash, randomBytes } from 'node:crypto';
import { mongo, Types } from 'mongoose';
import request from 'supertest';
import type { App } from 'supertest/types';
import { GOOD_PASSWORD, newAccount, NewAccount, sessionCookie } from '../support/accounts';
import { newIdentity, SocialWorld, startSocialWorld } from '../support/social';
import { ROTATION_GRACE_MS, SessionsService } from '../../src/sign-in/sessions/sessions.service';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const PUBLIC_ID = /^[A-Za-z0-9_-]{22}$/;

interface Device {
  userAgent?: string;
  /** What a proxy on the loopback interface says the client's address is. */
  forwardedFor?: string;
}

interface SessionItem {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string | null;
  ip: string | null;
  signedInWith: string | null;
}

/** The request headers a device sends. */
function from(test: request.Test, { userAgent, forwardedFor }: Device = {}): request.Test {
  if (userAgent !== undefined) test.set('User-Agent', userAgent);
  if (forwardedFor !== undefined) test.set('X-Forwarded-For', forwardedFor);
  return test;
}

async function registerFrom(http: App, device: Device, account: NewAccount = newAccount()) {
  const response = await from(request(http).post('/auth/register'), device)
    .send(account)
    .expect(201);
  return { cookie: sessionCookie(response), userId: response.body.user.id as string, account };
}

async function loginFrom(http: App, account: NewAccount, device: Device = {}) {
  const response = await from(request(http).post('/auth/login'), device)
    .send({ login: account.email, password: GOOD_PASSWORD })
    .expect(200);
  return sessionCookie(response);
}

/**
 * GET /me/sessions and DELETE /me/sessions[/{id}]: where an account is signed in, and signing
 * those places out. TRUST_PROXY=loopback: supertest connects over loopback, as a local proxy would.
 */
describe('the sessions of an account', () => {
  let world: SocialWorld;
  const http = () => world.t.http;
  const sessions = () => world.t.db.collection('sessions');
  const sessionsOf = (userId: string) =>
    sessions()
      .find({ userId: new Types.ObjectId(userId) })
      .toArray();

  beforeAll(async () => {
    world = await startSocialWorld({ TRUST_PROXY: 'loopback' });
  });
  afterAll(() => world.close());

  async function list(cookie: string): Promise<SessionItem[]> {
    const response = await request(http()).get('/me/sessions').set('Cookie', cookie).expect(200);
    await expectNoStoredSecretIn(response.text);
    return response.body as SessionItem[];
  }

  /** Neither token hash (current or replaced) nor record id of any session appears in `text`. */
  async function expectNoStoredSecretIn(text: string): Promise<void> {
    const stored = await sessions().find().toArray();
    expect(stored.length).toBeGreaterThan(0);
    for (const session of stored) {
      for (const secret of [session._id, session.tokenHash, session.previousTokenHash]) {
        if (typeof secret === 'string') expect(text).not.toContain(secret);
      }
    }
  }

  /** Time passes: the account's sign-ins are no longer recent. */
  const age = (userId: string) =>
    sessions().updateMany(
      { userId: new Types.ObjectId(userId) },
      { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
    );

  const works = (cookie: string) => request(http()).get('/me').set('Cookie', cookie);

  /** An account signed in on three devices: a (registered), b and c; b and c signed in later. */
  async function threeDevices() {
    const a = await registerFrom(http(), { userAgent: FIREFOX, forwardedFor: '203.0.113.10' });
    const b = await loginFrom(http(), a.account, { userAgent: SAFARI_IPHONE });
    const c = await loginFrom(http(), a.account, { userAgent: 'curl/8.5.0' });
    const ids = Object.fromEntries(
      (await list(a.cookie)).map((item) => [item.userAgent, item.id]),
    ) as Record<string, string>;
    return {
      userId: a.userId,
      cookies: { a: a.cookie, b, c },
      ids: { a: ids[FIREFOX], b: ids[SAFARI_IPHONE], c: ids['curl/8.5.0'] },
    };
  }

  describe('GET /me/sessions', () => {
    it('lists two devices newest first, with user agent, address and sign-in method; current marks the one asking', async () => {
      const laptop = await registerFrom(http(), {
        userAgent: FIREFOX,
        forwardedFor: '198.51.100.7, 203.0.113.10',
      });
      const phone = await loginFrom(http(), laptop.account, {
        userAgent: SAFARI_IPHONE,
        forwardedFor: '2001:db8::42',
      });

      const seenFromLaptop = await list(laptop.cookie);
      expect(seenFromLaptop).toEqual([
        {
          id: expect.stringMatching(PUBLIC_ID),
          current: false,
          createdAt: expect.any(String),
          lastSeenAt: expect.any(String),
          userAgent: SAFARI_IPHONE,
          ip: '2001:db8::42',
          signedInWith: 'password',
          secondFactor: null,
        },
        {
          id: expect.stringMatching(PUBLIC_ID),
          current: true,
          createdAt: expect.any(String),
          lastSeenAt: expect.any(String),
          userAgent: FIREFOX,
          // The right-most address the trusted (loopback) proxy did not vouch for.
          ip: '203.0.113.10',
          signedInWith: 'password',
          secondFactor: null,
        },
      ]);
      const [newest, oldest] = seenFromLaptop;
      expect(Date.parse(newest.createdAt)).toBeGreaterThan(Date.parse(oldest.createdAt));
      expect(Date.parse(oldest.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(oldest.createdAt));
      expect(newest.id).not.toBe(oldest.id);

      const seenFromPhone = await list(phone);
      expect(seenFromPhone.map(({ id, current }) => ({ id, current }))).toEqual([
        { id: newest.id, current: true },
        { id: oldest.id, current: false },
      ]);

      // The public id is a field of its own, not the record's id nor a token hash.
      const stored = await sessionsOf(laptop.userId);
      expect(stored.map(({ publicId }) => String(publicId)).sort()).toEqual(
        [newest.id, oldest.id].sort(),
      );
      for (const session of stored) {
        expect([session._id, session.tokenHash]).not.toContain(session.publicId);
      }
    });

    it('says which provider a session signed in through, and null when that is unknown', async () => {
      const browser = world.browser();
      browser.agent.set('User-Agent', SAFARI_IPHONE).set('X-Forwarded-For', '192.0.2.55');
      const signedUp = await browser.signIn(world.provider('github'), newIdentity());
      expect(signedUp.body.action).toBe('registered');
      const cookie = sessionCookie(signedUp);

      expect(await list(cookie)).toEqual([
        expect.objectContaining({
          current: true,
          signedInWith: 'github',
          secondFactor: null,
          userAgent: SAFARI_IPHONE,
          ip: '192.0.2.55',
        }),
      ]);

      // Sessions from before the method was recorded.
      await sessions().updateMany(
        { userId: new Types.ObjectId(signedUp.body.user.id as string) },
        { $unset: { method: '', provider: '' } },
      );
      expect((await list(cookie))[0].signedInWith).toBeNull();
    });

    it('keeps the user agent and address of the sign-in when the token rotates', async () => {
      const { cookie, userId } = await registerFrom(http(), {
        userAgent: FIREFOX,
        forwardedFor: '203.0.113.77',
      });
      const [before] = await list(cookie);
      const rotated = await from(request(http()).post('/auth/reauthenticate'), {
        userAgent: 'Something else/1.0',
        forwardedFor: '198.51.100.99',
      })
        .set('Cookie', cookie)
        .send({ password: GOOD_PASSWORD })
        .expect(200);
      const fresh = sessionCookie(rotated);
      expect(fresh).not.toBe(cookie);

      const [after] = await list(fresh);
      expect(after).toMatchObject({
        id: before.id,
        current: true,
        userAgent: FIREFOX,
        ip: '203.0.113.77',
        createdAt: before.createdAt,
      });
      // Confirming it's you is a security event: the replaced token stopped at once.
      await request(http()).get('/me/sessions').set('Cookie', cookie).expect(401);
      const [stored] = await sessionsOf(userId);
      expect(stored).not.toHaveProperty('previousTokenHash');
    });

    it('leaves out expired sessions and other accounts', async () => {
      const { cookies, userId } = await threeDevices();
      const stranger = await registerFrom(http(), {});
      await sessions().updateOne(
        { userId: new Types.ObjectId(userId), userAgent: 'curl/8.5.0' },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
      expect((await list(cookies.a)).map(({ userAgent }) => userAgent)).toEqual([
        SAFARI_IPHONE,
        FIREFOX,
      ]);
      expect(await list(stranger.cookie)).toHaveLength(1);
    });

    it('stores a long user agent shortened to 256 characters', async () => {
      const long = `Agent/1.0 ${'x'.repeat(1000)}`;
      const { cookie } = await registerFrom(http(), { userAgent: long });
      expect((await list(cookie))[0].userAgent).toBe(long.slice(0, 256));
    });
  });

  describe('DELETE /me/sessions/{id}', () => {
    it("ends another of the account's sessions, even without a recent sign-in; the others keep working", async () => {
      const { userId, cookies, ids } = await threeDevices();
      await age(userId);
      const response = await request(http())
        .delete(`/me/sessions/${ids.b}`)
        .set('Cookie', cookies.a)
        .expect(204);
      expect(response.headers['set-cookie']).toBeUndefined();

      await works(cookies.b).expect(401);
      await works(cookies.a).expect(200);
      await works(cookies.c).expect(200);
      expect((await list(cookies.a)).map(({ id }) => id).sort()).toEqual([ids.a, ids.c].sort());
    });

    it('ending the current session signs this browser out, as logout does', async () => {
      const { userId, cookies, ids } = await threeDevices();
      const response = await request(http())
        .delete(`/me/sessions/${ids.a}`)
        .set('Cookie', cookies.a)
        .expect(204);
      const cleared = (response.headers['set-cookie'] as unknown as string[]).find((line) =>
        line.startsWith('sid=;'),
      );
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(cleared).toMatch(/Path=\//);
      await works(cookies.a).expect(401);
      await works(cookies.b).expect(200);
      expect(await sessionsOf(userId)).toHaveLength(2);
    });

    it("answers 404 SESSION_NOT_FOUND for another account's session, and ends nothing", async () => {
      const victim = await threeDevices();
      const attacker = await registerFrom(http(), {});
      // Live sessions only: the database's expiry may remove an earlier test's expired one meanwhile.
      const live = { expiresAt: { $gt: new Date(Date.now() + 60_000) } };
      const before = await sessions().countDocuments(live);
      const response = await request(http())
        .delete(`/me/sessions/${victim.ids.b}`)
        .set('Cookie', attacker.cookie)
        .expect(404);
      expect(response.body.error.code).toBe('SESSION_NOT_FOUND');
      expect(await sessions().countDocuments(live)).toBe(before);
      await works(victim.cookies.b).expect(200);
      await works(attacker.cookie).expect(200);
    });

    it('answers 404 for unknown ids, ids of any other form, and the stored record id or token hash', async () => {
      const { userId, cookies } = await threeDevices();
      const [stored] = await sessionsOf(userId);
      // Live sessions only: the database's expiry may remove an earlier test's expired one meanwhile.
      const live = { expiresAt: { $gt: new Date(Date.now() + 60_000) } };
      const before = await sessions().countDocuments(live);
      const candidates = [
        randomBytes(16).toString('base64url'),
        // DELETE /me/sessions/ with an empty id must not end every other session.
        '',
        'x',
        'a'.repeat(200),
        '%24where',
        '..%2F..%2Fme',
        'null',
        String(stored._id),
        String(stored.tokenHash),
      ];
      for (const id of candidates) {
        const response = await request(http())
          .delete(`/me/sessions/${id}`)
          .set('Cookie', cookies.a);
        expect({ id, status: response.status }).toEqual({ id, status: 404 });
        expect(response.body.error.code).toBe('SESSION_NOT_FOUND');
      }
      expect(await sessions().countDocuments(live)).toBe(before);
    });

    it('ends a session once when asked in parallel: one 204, the rest 404', async () => {
      const { cookies, ids } = await threeDevices();
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          request(http()).delete(`/me/sessions/${ids.c}`).set('Cookie', cookies.a),
        ),
      );
      const statuses = responses.map(({ status }) => status).sort();
      expect(statuses).toEqual([204, ...Array(7).fill(404)]);
      await works(cookies.c).expect(401);
      await works(cookies.a).expect(200);
      await works(cookies.b).expect(200);
    });

    it('is refused from another site, and ends nothing', async () => {
      const { cookies, ids } = await threeDevices();
      const response = await request(http())
        .delete(`/me/sessions/${ids.b}`)
        .set('Cookie', cookies.a)
        .set('Origin', 'https://evil.example')
        .expect(403);
      expect(response.body.error.code).toBe('CROSS_SITE_REQUEST');
      await works(cookies.b).expect(200);
    });
  });

  describe('DELETE /me/sessions', () => {
    it('ends every session but the current one, without a recent sign-in', async () => {
      const { userId, cookies, ids } = await threeDevices();
      const stranger = await registerFrom(http(), {});
      await age(userId);
      const response = await request(http())
        .delete('/me/sessions')
        .set('Cookie', cookies.a)
        .expect(204);
      expect(response.headers['set-cookie']).toBeUndefined();
      await works(cookies.b).expect(401);
      await works(cookies.c).expect(401);
      await works(cookies.a).expect(200);
      await works(stranger.cookie).expect(200);
      expect(await list(cookies.a)).toEqual([
        expect.objectContaining({ id: ids.a, current: true }),
      ]);
    });

    it('keeps the current session through parallel requests of its own', async () => {
      const { cookies } = await threeDevices();
      const responses = await Promise.all([
        request(http()).delete('/me/sessions').set('Cookie', cookies.a),
        request(http()).delete('/me/sessions').set('Cookie', cookies.a),
        ...Array.from({ length: 4 }, () =>
          request(http()).get('/me/sessions').set('Cookie', cookies.a),
        ),
        ...Array.from({ length: 4 }, () => works(cookies.a)),
      ]);
      expect(responses.map(({ status }) => status)).toEqual([
        204,
        204,
        ...Array(4).fill(200),
        ...Array(4).fill(200),
      ]);
      await works(cookies.a).expect(200);
      await works(cookies.b).expect(401);
      await works(cookies.c).expect(401);
    });
  });

  describe('on the settings page', () => {
    /** A browser on a device: a cookie jar, and the device's headers on every request. */
    function deviceBrowser(device: Device) {
      const agent = request.agent(http());
      if (device.userAgent) agent.set('User-Agent', device.userAgent);
      if (device.forwardedFor) agent.set('X-Forwarded-For', device.forwardedFor);
      return agent;
    }

    /** The settings page as a browser gets it, and the CSRF token of its forms. */
    async function settingsPage(agent: ReturnType<typeof request.agent>, status = 200) {
      const page = await agent.get('/settings').set('Accept', 'text/html').expect(status);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      if (!token) throw new Error('no CSRF token on /settings');
      return { page, token, html: page.text };
    }

    /** A person signed in on a laptop (registered there) and a phone. */
    async function laptopAndPhone() {
      const laptop = deviceBrowser({ userAgent: FIREFOX, forwardedFor: '203.0.113.10' });
      const account = newAccount();
      await laptop.post('/auth/register').send(account).expect(201);
      const phone = deviceBrowser({ userAgent: SAFARI_IPHONE, forwardedFor: '198.51.100.20' });
      await phone
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(200);
      const items = (await laptop.get('/me/sessions').expect(200)).body as SessionItem[];
      const idOf = (userAgent: string) => items.find((item) => item.userAgent === userAgent)!.id;
      return { laptop, phone, ids: { laptop: idOf(FIREFOX), phone: idOf(SAFARI_IPHONE) } };
    }

    const rows = (html: string) =>
      [...html.matchAll(/<ul class="sessions">([\s\S]*?)<\/ul>/g)][0][1].split('<li>').slice(1);

    it('lists each session with its device, address, sign-in method and times, and marks this device', async () => {
      const { laptop, ids } = await laptopAndPhone();
      const { html } = await settingsPage(laptop);
      await expectNoStoredSecretIn(html);
      const [phoneRow, laptopRow] = rows(html);
      expect(phoneRow).toContain('Safari on iOS');
      expect(phoneRow).toContain('198.51.100.20');
      expect(phoneRow).toMatch(/<dt>Signed in with<\/dt><dd>Password<\/dd>/);
      expect(phoneRow).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[^"]+">[^<]+ UTC<\/time>/);
      expect(phoneRow).not.toContain('This device');
      expect(phoneRow).toContain(`action="/settings/sessions/${ids.phone}/sign-out"`);
      expect(laptopRow).toContain('Firefox on Windows');
      expect(laptopRow).toContain('203.0.113.10');
      expect(laptopRow).toContain('This device');
      expect(laptopRow).toContain(`action="/settings/sessions/${ids.laptop}/sign-out"`);
      expect(html).toContain('action="/settings/sessions/sign-out-others"');
      expect(html).toContain('Sign out everywhere else');
    });

    it('calls a provider by its name', async () => {
      const browser = world.browser();
      await browser.signIn(world.provider('okta'), newIdentity());
      const { html } = await settingsPage(browser.agent);
      expect(rows(html)[0]).toMatch(/<dt>Signed in with<\/dt><dd>Okta<\/dd>/);
      expect(html).toContain('You are signed in on this device only.');
      expect(html).not.toContain('Sign out everywhere else');
    });

    it('signs another device out (303, then a notice), without a recent sign-in', async () => {
      const { laptop, phone, ids } = await laptopAndPhone();
      await sessions().updateMany(
        {},
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );
      const { token } = await settingsPage(laptop);
      const response = await laptop
        .post(`/settings/sessions/${ids.phone}/sign-out`)
        .type('form')
        .send({ _csrf: token })
        .expect(303);
      expect(response.headers.location).toBe('http://localhost:3000/settings');
      await phone.get('/me').expect(401);
      const { html } = await settingsPage(laptop);
      expect(html).toContain('That session is signed out.');
      expect(rows(html)).toHaveLength(1);
      expect(html).not.toContain(ids.phone);
    });

    it('signs this browser out when it ends its own session, and lands on the sign-in page', async () => {
      const { laptop, phone, ids } = await laptopAndPhone();
      const { token } = await settingsPage(laptop);
      const response = await laptop
        .post(`/settings/sessions/${ids.laptop}/sign-out`)
        .type('form')
        .send({ _csrf: token })
        .expect(303);
      expect(response.headers.location).toBe('http://localhost:3000/login');
      expect(String(response.headers['set-cookie'])).toMatch(/sid=;/);
      await laptop.get('/me').expect(401);
      await phone.get('/me').expect(200);
      const login = await laptop.get('/login').expect(200);
      expect(login.text).toContain('You are signed out.');
    });

    it('signs out everywhere else', async () => {
      const { laptop, phone } = await laptopAndPhone();
      const { token } = await settingsPage(laptop);
      const response = await laptop
        .post('/settings/sessions/sign-out-others')
        .type('form')
        .send({ _csrf: token })
        .expect(303);
      expect(response.headers.location).toBe('http://localhost:3000/settings');
      await phone.get('/me').expect(401);
      const { html } = await settingsPage(laptop);
      expect(html).toContain('You are signed out everywhere else.');
      expect(html).toContain('You are signed in on this device only.');
    });

    it("refuses forms without this browser's CSRF token with 403, and ends nothing", async () => {
      const { laptop, phone, ids } = await laptopAndPhone();
      const { token: phoneToken } = await settingsPage(phone);
      for (const [path, body] of [
        [`/settings/sessions/${ids.phone}/sign-out`, {}],
        ['/settings/sessions/sign-out-others', {}],
        [`/settings/sessions/${ids.phone}/sign-out`, { _csrf: phoneToken }],
      ] as const) {
        await laptop.post(path).set('Accept', 'text/html').type('form').send(body).expect(403);
      }
      await phone.get('/me').expect(200);
      await laptop.get('/me').expect(200);
    });

    it('changes nothing through GET: the sign-out actions answer it with 405', async () => {
      const { laptop, phone, ids } = await laptopAndPhone();
      const one = await laptop.get(`/settings/sessions/${ids.phone}/sign-out`).expect(405);
      expect(one.headers.allow).toBe('POST, OPTIONS');
      await laptop.get('/settings/sessions/sign-out-others').expect(405);
      await phone.get('/me').expect(200);
    });

    it("shows the page again with 404 for a session that is not the account's, and ends nothing", async () => {
      const { laptop, phone, ids } = await laptopAndPhone();
      const stranger = await laptopAndPhone();
      const { token } = await settingsPage(laptop);
      for (const id of [stranger.ids.phone, 'not-a-session-id']) {
        const response = await laptop
          .post(`/settings/sessions/${id}/sign-out`)
          .set('Accept', 'text/html')
          .type('form')
          .send({ _csrf: token })
          .expect(404);
        expect(response.text).toContain('You have no session with that id.');
        expect(rows(response.text)).toHaveLength(2);
      }
      await stranger.phone.get('/me').expect(200);
      await phone.get('/me').expect(200);
      expect(ids.phone).not.toBe(stranger.ids.phone);
    });
  });

  describe('token rotation', () => {
    const service = () => world.t.app.get(SessionsService);
    const withUser = (as: string) => ({
      $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as },
    });
    /** A routine rotation (no route makes one today: each follows a security event). */
    async function rotateRoutinely(cookie: string): Promise<string> {
      const found = await service().resolve(cookie.split('=')[1], withUser);
      const token = await service().rotate(found!.session, { securityEvent: false });
      return `sid=${token}`;
    }

    it('a routine rotation leaves the replaced token working for its grace, then refuses it', async () => {
      const { cookie, userId } = await registerFrom(http(), {});
      const fresh = await rotateRoutinely(cookie);
      expect(fresh).not.toBe(cookie);
      await works(fresh).expect(200);
      await works(cookie).expect(200);
      const [stored] = await sessionsOf(userId);
      const grace = (stored.previousValidUntil as Date).getTime() - Date.now();
      expect(grace).toBeGreaterThan(25_000);
      expect(grace).toBeLessThanOrEqual(ROTATION_GRACE_MS);
      // Past its grace, the replaced token is refused.
      await sessions().updateOne(
        { _id: stored._id },
        { $set: { previousValidUntil: new Date(Date.now() - 1000) } },
      );
      await works(cookie).expect(401);
      await works(fresh).expect(200);
    });

    it('a security event through a token in its grace ends it and the current one: only the new cookie works', async () => {
      const { cookie: replaced, userId } = await registerFrom(http(), {});
      const current = await rotateRoutinely(replaced);
      const confirmed = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', replaced)
        .send({ password: GOOD_PASSWORD })
        .expect(200);
      const fresh = sessionCookie(confirmed);
      await works(replaced).expect(401);
      await works(current).expect(401);
      await works(fresh).expect(200);
      const [stored] = await sessionsOf(userId);
      expect(stored).not.toHaveProperty('previousTokenHash');
      expect(stored).not.toHaveProperty('previousValidUntil');
    });
  });

  it('needs a session on every route', async () => {
    for (const call of [
      request(http()).get('/me/sessions'),
      request(http()).delete('/me/sessions'),
      request(http()).delete(`/me/sessions/${randomBytes(16).toString('base64url')}`),
    ]) {
      const response = await call;
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('the client address of a session without TRUST_PROXY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('is the address of the connection: X-Forwarded-For is ignored', async () => {
    const { cookie } = await registerFrom(t.http, { forwardedFor: '203.0.113.10' });
    const response = await request(t.http).get('/me/sessions').set('Cookie', cookie).expect(200);
    expect(response.body[0].ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
  });
});

describe('sessions written by an earlier version', () => {
  const database = newDatabaseName();
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
  });

  /** A session as versions before public ids stored it: `_id` is the token's SHA-256. */
  function legacySession(userId: string, token: string) {
    const hash = createHash('sha256').update(token).digest('hex');
    const now = Date.now();
    return {
      _id: hash as unknown as mongo.ObjectId,
      tokenHash: hash,
      userId: new Types.ObjectId(userId),
      createdAt: new Date(now - 60_000),
      authenticatedAt: new Date(now - 60_000),
      lastSeenAt: new Date(now - 60_000),
      expiresAt: new Date(now + 3600_000),
      absoluteExpiresAt: new Date(now + 3600_000),
    };
  }

  it('get a public id of their own at the first start of this version (once, whatever restarts), which ends them', async () => {
    const first = await createTestApp({ database });
    apps.push(first);
    const { userId, cookie } = await registerFrom(first.http, {});
    const sessions = first.db.collection('sessions');
    const token = randomBytes(32).toString('base64url');
    const legacy = legacySession(userId, token);
    await sessions.insertOne(legacy);
    // As though this version had not started on the database yet: its migration not recorded.
    const migrations = first.db.collection<{ _id: string }>('migrations');
    const migration = 'sessions: token hashes and public ids';
    expect(await migrations.deleteOne({ _id: migration })).toMatchObject({ deletedCount: 1 });

    const second = await createTestApp({ database });
    apps.push(second);
    const migrated = await sessions.findOne({ _id: legacy._id } as never);
    expect(migrated?.publicId).toEqual(expect.stringMatching(PUBLIC_ID));
    expect(migrated?.publicId).not.toBe(legacy.tokenHash);
    const indexes = await sessions.indexes();
    expect(indexes.find(({ name }) => name === 'publicId_1')).toMatchObject({
      unique: true,
      sparse: true,
    });

    expect(await migrations.findOne({ _id: migration })).toMatchObject({
      completedAt: expect.any(Date),
    });
    apps.push(await createTestApp({ database }));
    expect((await sessions.findOne({ _id: legacy._id } as never))?.publicId).toBe(
      migrated?.publicId,
    );

    const legacyCookie = `sid=${token}`;
    const listed = await request(second.http)
      .get('/me/sessions')
      .set('Cookie', legacyCookie)
      .expect(200);
    expect(listed.text).not.toContain(legacy.tokenHash);
    expect(listed.body).toEqual([
      expect.objectContaining({ id: expect.stringMatching(PUBLIC_ID), current: false }),
      expect.objectContaining({ id: migrated?.publicId, current: true, signedInWith: null }),
    ]);
    await request(second.http)
      .delete(`/me/sessions/${String(migrated?.publicId)}`)
      .set('Cookie', cookie)
      .expect(204);
    await request(second.http).get('/me').set('Cookie', legacyCookie).expect(401);
  });

  it('get one when listed, when an instance of an earlier version wrote them after start-up', async () => {
    const [app] = apps;
    const { userId, cookie } = await registerFrom(app.http, {});
    const legacy = legacySession(userId, randomBytes(32).toString('base64url'));
    await app.db.collection('sessions').insertOne(legacy);
    const listed = await request(app.http).get('/me/sessions').set('Cookie', cookie).expect(200);
    expect(listed.text).not.toContain(legacy.tokenHash);
    expect(listed.body).toHaveLength(2);
    expect(listed.body[1].id).toMatch(PUBLIC_ID);
    await request(app.http)
      .delete(`/me/sessions/${listed.body[1].id as string}`)
      .set('Cookie', cookie)
      .expect(204);
    expect(await app.db.collection('sessions').countDocuments({ _id: legacy._id })).toBe(0);
  });
});
