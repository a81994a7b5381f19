import { Types } from 'mongoose';
import request from 'supertest';
import { ApiKeysService } from '../../src/admin/api-keys/api-keys.service';
import { AccountAttempts } from '../../src/sign-in/limits/account-attempts';
import { accountKeyOfLogin, accountKeyOfUser } from '../../src/sign-in/limits/account-key';
import { HashScheduler } from '../../src/sign-in/limits/hash-scheduler';
import { signInFailureId } from '../../src/sign-in/limits/sign-in-failures';
import {
  GOOD_PASSWORD,
  NewAccount,
  newAccount,
  register,
  sessionCookie,
} from '../support/accounts';
import { appWithMail, AppWithMail, twoInstances } from '../support/fixtures';
import { linkIn, MailServer, tokenIn } from '../support/mail';
import { createTestApp, TestApp } from '../support/test-app';
import { accountChecks, forgetBlocks, setAccountChecks } from '../support/check-counts';

const WRONG = 'a wrong guess of a password';

/** Distinct client addresses, as a reverse proxy reports them in X-Forwarded-For. */
let lastAddress = 0;
const nextAddress = () => `198.18.${Math.floor(++lastAddress / 250)}.${(lastAddress % 250) + 1}`;

/** Registers from a client address of its own, so the registration limit stays out of the way. */
async function registerFrom(t: TestApp, account: NewAccount = newAccount()) {
  const response = await request(t.http)
    .post('/auth/register')
    .set('X-Forwarded-For', nextAddress())
    .send(account)
    .expect(201);
  return {
    cookie: sessionCookie(response),
    id: (response.body as { user: { id: string } }).user.id,
  };
}

/** A record of `sign_in_failures`, as the tests look at it. */
interface FailureRecord {
  _id: string;
  failures: number;
  retryAt: Date | null;
  attempt: string | null;
  expiresAt: Date | null;
}

/** Counts argon2 computations on every instance while `during` runs. */
async function argon2Runs(apps: readonly TestApp[], during: () => Promise<void>): Promise<number> {
  const spies = apps.map((t) => jest.spyOn(t.app.get(HashScheduler), 'run'));
  try {
    await during();
    return spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

describe('sign-in rate limit per client', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The tests reach the app from 127.0.0.1, standing in for the reverse proxy.
    t = await createTestApp({
      env: {
        SIGN_IN_RATE_LIMIT: '3',
        TRUST_PROXY: 'loopback',
        // Starting a sign-in only builds the provider's URL: no provider is contacted.
        GOOGLE_CLIENT_ID: 'g-id',
        GOOGLE_CLIENT_SECRET: 'g-secret',
      },
    });
  });
  afterAll(() => t.close());

  const attempt = (ip: string, login: string, password: string) =>
    request(t.http).post('/auth/login').set('X-Forwarded-For', ip).send({ login, password });

  it('refuses a client past SIGN_IN_RATE_LIMIT attempts a minute with 429, even with the right password', async () => {
    await register(t.http, newAccount({ username: 'limited_person' }));
    await register(t.http, newAccount({ username: 'other_person' }));
    for (let i = 0; i < 3; i++) await attempt('203.0.113.7', 'limited_person', WRONG).expect(401);

    const blocked = await attempt('203.0.113.7', 'other_person', GOOD_PASSWORD).expect(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(blocked.body.error.message).toContain('from your network');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['set-cookie']).toBeUndefined();

    // Another client is not affected.
    await attempt('198.51.100.9', 'other_person', GOOD_PASSWORD).expect(200);
  });

  it('keeps its counts in MongoDB, blocks for a minute, and starts afresh when window and block are over', async () => {
    const limits = t.db.collection('rate_limits');
    const indexes = await limits.listIndexes().toArray();
    expect(indexes).toContainEqual(
      expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 }),
    );

    const ip = nextAddress();
    // A login of its own each time, so that only the per-client limit can refuse.
    let logins = 0;
    const remaining = async () => {
      const response = await attempt(ip, `nobody_number_${++logins}`, WRONG);
      return response.status === 401 ? Number(response.headers['x-ratelimit-remaining']) : 429;
    };
    expect([await remaining(), await remaining(), await remaining()]).toEqual([2, 1, 0]);
    const blocked = await attempt(ip, 'nobody_in_particular', WRONG).expect(429);
    expect(blocked.body.error.message).toContain('from your network');
    expect(Number(blocked.headers['retry-after'])).toBe(60);

    // The time since is simulated by moving the stored times back, for every key alike.
    const moveBack = (fields: string[]) =>
      limits.updateMany({}, [
        {
          $set: Object.fromEntries(
            fields.map((field) => [field, { $subtract: [`$${field}`, 61_000] }]),
          ),
        },
      ]);
    await moveBack(['windowEndsAt']);
    // The window is over but the block is not: still refused, and the refusals are not counted.
    await attempt(ip, 'nobody_in_particular', WRONG).expect(429);
    await moveBack(['blockedUntil']);
    // This instance remembered the block until its stored end: that end has passed for it too.
    forgetBlocks(t);
    expect(await remaining()).toBe(2);
  });

  it('limits registrations the same way', async () => {
    const ip = '203.0.113.99';
    for (let i = 0; i < 3; i++) {
      await request(t.http)
        .post('/auth/register')
        .set('X-Forwarded-For', ip)
        .send(newAccount())
        .expect(201);
    }
    const account = newAccount();
    await request(t.http)
      .post('/auth/register')
      .set('X-Forwarded-For', ip)
      .send(account)
      .expect(429);
    expect(await t.db.collection('users').countDocuments({ email: account.email })).toBe(0);
  });

  it('limits social sign-in starts, so one client cannot fill the store with flows', async () => {
    const flows = () => t.db.collection('sign_in_flows').countDocuments();
    const ip = nextAddress();
    const start = (from: string) =>
      request(t.http).get('/auth/google').set('X-Forwarded-For', from);
    for (let i = 0; i < 3; i++) await start(ip).expect(302);
    const stored = await flows();

    const blocked = await start(ip).set('Accept', 'application/json').expect(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(await flows()).toBe(stored);

    await start(nextAddress()).expect(302);
  });

  describe('covers every route that uses SignInThrottle, each on its own', () => {
    let cookie: string;
    beforeAll(async () => {
      let id: string;
      ({ cookie, id } = await registerFrom(t));
      // Verified, so that asking for the link again is always the same refusal (409).
      await t.db
        .collection('users')
        .updateOne({ _id: new Types.ObjectId(id) }, { $set: { emailVerified: true } });
    });

    // Requests that fail before any password check (bad bodies, forms without their CSRF token),
    // so only the per-client count moves; the session is recent, having just registered.
    it.each([
      ['post', '/auth/login', { login: 'someone' }, 400],
      ['post', '/auth/register', {}, 400],
      ['get', '/auth/google', undefined, 302],
      ['post', '/auth/reauthenticate', {}, 400],
      ['patch', '/me', { name: '' }, 400],
      ['put', '/me/password', {}, 400],
      ['delete', '/me/password', undefined, 409],
      ['delete', '/me', { password: 5 }, 400],
      ['post', '/me/connections/google', { returnTo: 5 }, 400],
      ['post', '/login', {}, 403],
      ['post', '/register', {}, 403],
      ['post', '/settings/profile', {}, 403],
      ['post', '/settings/password', {}, 403],
      ['post', '/settings/password/remove', {}, 403],
      ['post', '/settings/connections/google/connect', {}, 403],
      ['post', '/settings/confirm', {}, 403],
      ['post', '/settings/delete', {}, 403],
      ['post', '/settings/email/verification', {}, 403],
      ['post', '/auth/email/verify', {}, 400],
      ['post', '/me/email/verification', undefined, 409],
      ['post', '/auth/email/change/cancel', {}, 400],
      ['post', '/auth/password/forgot', {}, 400],
      ['post', '/auth/password/reset', {}, 400],
      ['post', '/verify-email', {}, 403],
      ['post', '/cancel-email-change', {}, 403],
      ['post', '/forgot-password', {}, 403],
      ['post', '/reset-password', {}, 403],
    ] as const)('%s %s', async (method, path, body, usualStatus) => {
      const ip = nextAddress();
      const send = (from: string) => {
        const call = request(t.http)
          [method](path)
          .set('Cookie', cookie)
          .set('Accept', 'application/json')
          .set('X-Forwarded-For', from);
        if (body === undefined) return call;
        return path.startsWith('/auth/') || path.startsWith('/me')
          ? call.send(body)
          : call.type('form').send(body);
      };
      for (let i = 0; i < 3; i++) expect((await send(ip)).status).toBe(usualStatus);

      const blocked = await send(ip);
      expect(blocked.status).toBe(429);
      expect(blocked.body.error).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      expect(blocked.body.error.message).toContain('from your network');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

      expect((await send(nextAddress())).status).toBe(usualStatus);
    });
  });
});

describe('sign-in rate limit per client, across instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({ env: { SIGN_IN_RATE_LIMIT: '3', TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('counts one client’s attempts on every instance together', async () => {
    const ip = nextAddress();
    const attempt = (t: TestApp) =>
      request(t.http)
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ login: 'nobody_anywhere', password: WRONG });
    await attempt(a).expect(401);
    await attempt(b).expect(401);
    await attempt(a).expect(401);
    const blocked = await attempt(b).expect(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await attempt(a).expect(429);
  });

  it('lets exactly SIGN_IN_RATE_LIMIT of one client’s parallel attempts through', async () => {
    const ip = nextAddress();
    const statuses = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const response = await request((i % 2 ? a : b).http)
          .post('/auth/login')
          .set('X-Forwarded-For', ip)
          .send({ login: `nobody_number_${i}`, password: WRONG });
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });
});

describe('password checks per account a minute (SIGN_IN_RATE_LIMIT)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({ env: { SIGN_IN_RATE_LIMIT: '3', TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  /** Each attempt from a new client address, so only the per-account limits can refuse it. */
  const signIn = (login: string, password: string, t = a, ip = nextAddress()) =>
    request(t.http).post('/auth/login').set('X-Forwarded-For', ip).send({ login, password });

  it('refuses an account past SIGN_IN_RATE_LIMIT checks a minute from any clients and instances, while another account signs in', async () => {
    await registerFrom(a, newAccount({ username: 'guessed_at' }));
    await registerFrom(a, newAccount({ username: 'left_alone' }));
    const firstClient = nextAddress();
    await signIn('guessed_at', WRONG, a, firstClient).expect(401);
    await signIn('GUESSED_AT', WRONG, b).expect(401);
    await signIn('guessed_at', WRONG, a).expect(401);

    const blocked = await signIn('guessed_at', GOOD_PASSWORD, b).expect(429);
    expect(blocked.body.error).toEqual({
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many attempts on this account. Please wait a minute and try again.',
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(blocked.headers['set-cookie']).toBeUndefined();

    // Another account signs in, even from a client that took part in the guessing.
    await signIn('left_alone', GOOD_PASSWORD, a, firstClient).expect(200);

    // Once the minute is over (its end moved into the past), the account signs in.
    await b.db
      .collection('users')
      .updateMany({}, { $set: { 'signInChecks.checksUntil': new Date(Date.now() - 1) } });
    forgetBlocks(a, b);
    await signIn('guessed_at', GOOD_PASSWORD, b).expect(200);
  });

  it('counts the email and the username of an account together', async () => {
    const account = newAccount({ username: 'two_names' });
    await registerFrom(a, account);
    await signIn('two_names', WRONG).expect(401);
    await signIn(account.email.toUpperCase(), WRONG, b).expect(401);
    await signIn('two_names', WRONG).expect(401);
    await signIn(account.email, GOOD_PASSWORD, b).expect(429);
  });

  it('answers for an unknown login exactly as for an existing account, so nobody learns which exist', async () => {
    await registerFrom(a, newAccount({ username: 'does_exist' }));
    const answers = async (login: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await signIn(login, WRONG)).status);
      const blocked = await signIn(login, WRONG);
      return { statuses, status: blocked.status, body: blocked.body as unknown };
    };
    const existing = await answers('does_exist');
    const unknown = await answers('does_not_exist');
    expect(existing.statuses).toEqual([401, 401, 401]);
    expect(unknown).toEqual(existing);
    expect(existing.status).toBe(429);
  });

  it('spends no argon2 work on a refused attempt', async () => {
    await registerFrom(a, newAccount({ username: 'no_work_spent' }));
    for (let i = 0; i < 3; i++) await signIn('no_work_spent', WRONG).expect(401);
    const runs = await argon2Runs([a, b], async () => {
      await signIn('no_work_spent', GOOD_PASSWORD, b).expect(429);
      await signIn('never_registered_person', WRONG).expect(401);
    });
    // Only the unknown login's dummy verification was scheduled.
    expect(runs).toBe(1);
  });

  it('counts sign-in and the /me routes that check the password together', async () => {
    const account = newAccount({ username: 'counted_together' });
    const { cookie } = await registerFrom(a, account);
    const me = (method: 'put' | 'delete', path: string) =>
      request(a.http)[method](path).set('Cookie', cookie).set('X-Forwarded-For', nextAddress());

    await me('put', '/me/password')
      .send({ currentPassword: WRONG, newPassword: 'a new passphrase for this one' })
      .expect(401);
    await me('delete', '/me').send({ password: WRONG }).expect(401);
    await signIn('counted_together', WRONG).expect(401);

    // The right password no longer helps, on any of the routes.
    await signIn('counted_together', GOOD_PASSWORD).expect(429);
    const change = await me('put', '/me/password')
      .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a new passphrase for this one' })
      .expect(429);
    expect(change.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(change.headers['retry-after'])).toBeGreaterThan(0);
    await me('delete', '/me').send({ password: GOOD_PASSWORD }).expect(429);
    expect(await a.db.collection('users').countDocuments({ username: 'counted_together' })).toBe(1);
  });

  it('refuses the pages’ forms too, with an error page and Retry-After', async () => {
    const account = newAccount({ username: 'page_person' });
    await registerFrom(a, account);
    const agent = request.agent(a.http);
    // Signing in is the first attempt of three.
    const signedIn = await agent
      .post('/auth/login')
      .set('X-Forwarded-For', nextAddress())
      .send({ login: 'page_person', password: GOOD_PASSWORD })
      .expect(200);
    const cookie = sessionCookie(signedIn);
    const page = await agent.get('/settings/delete').set('Accept', 'text/html').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const form = (path: string, fields: Record<string, string>) =>
      agent
        .post(path)
        .set('Cookie', cookie)
        .set('Accept', 'text/html')
        .set('X-Forwarded-For', nextAddress())
        .type('form')
        .send({ _csrf: token, ...fields });

    expect((await form('/settings/delete', { password: WRONG })).status).toBe(401);
    expect((await form('/settings/delete', { password: WRONG })).status).toBe(401);
    const blocked = await form('/settings/delete', { password: GOOD_PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.headers['content-type']).toMatch(/text\/html/);
    expect(blocked.text).toContain('Too many attempts on this account.');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(await a.db.collection('users').countDocuments({ username: 'page_person' })).toBe(1);

    const change = await form('/settings/password', {
      currentPassword: GOOD_PASSWORD,
      newPassword: 'a new passphrase for the page',
      newPasswordConfirm: 'a new passphrase for the page',
    });
    expect(change.status).toBe(429);
    expect(change.text).toContain('Too many attempts on this account.');
    expect(Number(change.headers['retry-after'])).toBeGreaterThan(0);

    const confirm = await form('/settings/confirm', { password: GOOD_PASSWORD });
    expect(confirm.status).toBe(429);
    expect(confirm.text).toContain('Too many attempts on this account.');
    expect(Number(confirm.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('consecutive failed password checks per account', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({
      env: {
        TRUST_PROXY: 'loopback',
        SIGN_IN_RATE_LIMIT: '1000',
        // The defaults, which createTestApp otherwise relaxes.
        SIGN_IN_FREE_FAILURES: '5',
        SIGN_IN_FIRST_DELAY_SECONDS: '1',
        SIGN_IN_MAX_DELAY_SECONDS: '900',
        SIGN_IN_LOCK_AFTER_FAILURES: '100',
        // Cheaper hashes keep a hundred failures quick.
        ARGON2_MEMORY_KIB: '8192',
        ARGON2_TIME_COST: '1',
      },
      captureLogs: true,
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const failures = () => a.db.collection<FailureRecord>('sign_in_failures');
  const recordOf = (id: string) => accountChecks(a, id);
  const unknownRecord = (login: string) =>
    failures().findOne({ _id: signInFailureId(accountKeyOfLogin(login)) });
  /** The account's wait is over: its end moved into the past, as if the time had passed. */
  const waitOver = async (userId: string) => {
    await setAccountChecks(a, userId, { retryAt: new Date(Date.now() - 1) });
    forgetBlocks(a, b);
  };

  /** Alternates between the instances; each attempt from a new client address. */
  let turn = 0;
  const signIn = (login: string, password: string) =>
    request((++turn % 2 ? a : b).http)
      .post('/auth/login')
      .set('X-Forwarded-For', nextAddress())
      .send({ login, password });

  it('lets five failures through, then makes the account wait 1 s, 2 s, 4 s … up to 15 minutes, on every instance', async () => {
    const account = newAccount({ username: 'slowed_down' });
    const { id } = await registerFrom(a, account);
    for (let i = 0; i < 6; i++) await signIn('slowed_down', WRONG).expect(401);

    const waits: string[] = [];
    for (const expected of [1, 2, 4, 8]) {
      const refused = await signIn('slowed_down', GOOD_PASSWORD).expect(429);
      expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(Number(refused.headers['retry-after'])).toBe(expected);
      waits.push(refused.body.error.message as string);
      await waitOver(id);
      await signIn('slowed_down', WRONG).expect(401);
    }
    expect(waits[1]).toBe('Too many attempts on this account. Please try again in 2 seconds.');
    expect(await recordOf(id)).toMatchObject({ failures: 10 });

    // Further on, the wait stops growing at SIGN_IN_MAX_DELAY_SECONDS.
    await setAccountChecks(a, id, { failures: 40 });
    await waitOver(id);
    await signIn('slowed_down', WRONG).expect(401);
    const capped = await signIn('slowed_down', GOOD_PASSWORD).expect(429);
    expect(Number(capped.headers['retry-after'])).toBe(900);
    expect(capped.body.error.message).toBe(
      'Too many attempts on this account. Please try again in 15 minutes.',
    );
  });

  it('refuses during a wait without any argon2 work, and counts the routes that check the password together', async () => {
    const { id, cookie } = await registerFrom(a);
    for (let i = 0; i < 6; i++) {
      await request(b.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', nextAddress())
        .send({ currentPassword: WRONG, newPassword: 'a new passphrase for this one' })
        .expect(401);
    }
    const runs = await argon2Runs([a, b], async () => {
      const refused = await request(a.http)
        .delete('/me')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', nextAddress())
        .send({ password: GOOD_PASSWORD })
        .expect(429);
      expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
      expect(Number(refused.headers['retry-after'])).toBe(1);
      await request(b.http)
        .post('/auth/reauthenticate')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', nextAddress())
        .send({ password: GOOD_PASSWORD })
        .expect(429);
    });
    expect(runs).toBe(0);
    expect(await recordOf(id)).toMatchObject({ failures: 6 });
  });

  it('starts the count again after a success', async () => {
    const account = newAccount({ username: 'back_again' });
    const { id } = await registerFrom(a, account);
    for (let i = 0; i < 6; i++) await signIn('back_again', WRONG).expect(401);
    await signIn('back_again', GOOD_PASSWORD).expect(429);
    await waitOver(id);
    await signIn('back_again', GOOD_PASSWORD).expect(200);
    expect(await recordOf(id)).toMatchObject({ failures: 0, retryAt: null });

    for (let i = 0; i < 6; i++) await signIn('back_again', WRONG).expect(401);
    expect(Number((await signIn('back_again', WRONG).expect(429)).headers['retry-after'])).toBe(1);
  });

  it('locks the password after 100 consecutive failures with SIGN_IN_LOCKED until the count is cleared; other accounts go on', async () => {
    const account = newAccount({ username: 'locked_out' });
    const { id, cookie } = await registerFrom(a, account);
    const locked = () =>
      (a.logs() + b.logs())
        .split('\n')
        .filter((line) => line.includes('Password sign-in locked') && line.includes(id));
    expect(locked()).toEqual([]);
    for (let i = 0; i < 100; i++) {
      await waitOver(id);
      await signIn('locked_out', WRONG).expect(401);
    }
    // The hundredth failure was the one that locked it, seen once on whichever instance.
    expect(locked()).toHaveLength(1);
    expect(JSON.parse(locked()[0])).toMatchObject({
      userId: id,
      msg: 'Password sign-in locked after too many consecutive failures',
    });
    expect(await recordOf(id)).toMatchObject({ failures: 100, expiresAt: null });

    const answers = async () => {
      await waitOver(id);
      const refused = await signIn('locked_out', GOOD_PASSWORD).expect(429);
      expect(refused.body.error).toEqual({
        code: 'SIGN_IN_LOCKED',
        message:
          'Signing in with the password is locked after too many failed attempts. Reset your password by email to unlock your account.',
      });
      expect(Number(refused.headers['retry-after'])).toBe(900);
      expect(refused.headers['set-cookie']).toBeUndefined();
    };
    const runs = await argon2Runs([a, b], async () => {
      await answers();
      await answers();
      const change = await request(b.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', nextAddress())
        .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a new passphrase for this one' })
        .expect(429);
      expect(change.body.error.code).toBe('SIGN_IN_LOCKED');
    });
    expect(runs).toBe(0);
    expect(locked()).toHaveLength(1);

    // Other accounts sign in meanwhile; this one's session goes on.
    const other = newAccount({ username: 'not_locked' });
    await registerFrom(b, other);
    await signIn('not_locked', GOOD_PASSWORD).expect(200);
    await request(a.http).get('/me').set('Cookie', cookie).expect(200);

    // What the password reset by email will do, here on b: b forgets the lock at once. a (its
    // own routes: passport's strategy for POST /auth/login is the last instance's in this process)
    // remembers the lock it saw, with no round trip, for up to a minute (REMEMBER_LOCK_MS).
    const changeOn = (t: TestApp) =>
      request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', nextAddress())
        .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a new passphrase for this one' });
    expect((await changeOn(a).expect(429)).body.error.code).toBe('SIGN_IN_LOCKED');
    await b.app.get(AccountAttempts).clear(accountKeyOfUser(id));
    await signIn('locked_out', GOOD_PASSWORD).expect(200);
    expect((await changeOn(a).expect(429)).body.error.code).toBe('SIGN_IN_LOCKED');
    forgetBlocks(a);
    await changeOn(a).expect(204);
  });

  it('shows the lock on the sign-in page with Retry-After', async () => {
    const account = newAccount({ username: 'locked_page' });
    const { id } = await registerFrom(a, account);
    await setAccountChecks(a, id, {
      failures: 100,
      retryAt: null,
      attempt: 'earlier',
      expiresAt: null,
    });
    const agent = request.agent(a.http);
    const page = await agent.get('/login').set('Accept', 'text/html').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const refused = await agent
      .post('/login')
      .set('Accept', 'text/html')
      .set('X-Forwarded-For', nextAddress())
      .type('form')
      .send({ _csrf: token, login: 'locked_page', password: GOOD_PASSWORD })
      .expect(429);
    expect(refused.headers['content-type']).toMatch(/text\/html/);
    expect(refused.text).toContain('Reset your password by email to unlock your account.');
    expect(Number(refused.headers['retry-after'])).toBe(900);
  });

  it('counts an unknown login exactly like an account, so the answers do not tell which exist', async () => {
    const { id } = await registerFrom(a, newAccount({ username: 'really_there' }));
    /** The counts of a login's checks, wherever they are kept, and how to set them. */
    interface Counts {
      read: () => Promise<Partial<FailureRecord> | null>;
      set: (fields: Partial<FailureRecord>) => Promise<unknown>;
    }
    const answers = async (login: string, counts: Counts) => {
      const seen: unknown[] = [];
      const note = (response: request.Response) =>
        seen.push([response.status, response.body, response.headers['retry-after']]);
      for (let i = 0; i < 7; i++) note(await signIn(login, WRONG));
      // The wait is over, as if the time had passed.
      await counts.set({ retryAt: new Date(Date.now() - 1) });
      forgetBlocks(a, b);
      note(await signIn(login, WRONG));
      note(await signIn(login, WRONG));
      // Close to the lock, and at it.
      await counts.set({ failures: 99, retryAt: null });
      forgetBlocks(a, b);
      note(await signIn(login, WRONG));
      note(await signIn(login, GOOD_PASSWORD));
      const stored = (await counts.read()) ?? {};
      // The same fields, but for the record's own id where it is a record of its own.
      const fields = Object.keys(stored).filter((field) => field !== '_id');
      return { seen, fields: fields.sort(), failures: stored.failures };
    };
    const existing = await answers('really_there', {
      read: () => accountChecks(a, id),
      set: (fields) => setAccountChecks(a, id, fields),
    });
    const unknownId = signInFailureId(accountKeyOfLogin('not_really_there'));
    const unknown = await answers('not_really_there', {
      read: () => failures().findOne({ _id: unknownId }),
      set: (fields) => failures().updateOne({ _id: unknownId }, { $set: fields }),
    });
    expect(unknown).toEqual(existing);
    expect(existing.seen.map((answer) => (answer as unknown[])[0])).toEqual([
      401, 401, 401, 401, 401, 401, 429, 401, 429, 401, 429,
    ]);
    expect((existing.seen[10] as [number, { error: { code: string } }])[1].error.code).toBe(
      'SIGN_IN_LOCKED',
    );
    expect(await unknownRecord('not_really_there')).toMatchObject({ failures: 100 });
  });

  it('keeps what sign-ins with made-up logins write for minutes, one event per client; an account’s as before', async () => {
    const minutes = (date: Date | null | undefined) => (date!.getTime() - Date.now()) / 60_000;
    const days = (date: Date | null | undefined) => minutes(date) / (24 * 60);
    const client = nextAddress();
    // One instance: in this process, the events of the first app made lack the client address.
    const fromClient = (login: string, password: string) =>
      request(b.http).post('/auth/login').set('X-Forwarded-For', client).send({ login, password });
    const madeUp = Array.from({ length: 40 }, (_, i) => `made_up_${i}_${Date.now()}@example.test`);
    for (const login of madeUp) await fromClient(login, WRONG).expect(401);

    // Each login is still counted (across instances) while someone may be trying it, then forgotten.
    const records = await failures()
      .find({ _id: { $in: madeUp.map((login) => signInFailureId(accountKeyOfLogin(login))) } })
      .toArray();
    expect(records).toHaveLength(40);
    for (const record of records) {
      expect(record.failures).toBe(1);
      expect(minutes(record.expiresAt)).toBeGreaterThan(14);
      expect(minutes(record.expiresAt)).toBeLessThanOrEqual(17);
    }
    // One event counts them for this client and quarter hour (two if the run crossed one), kept a day.
    const events = await a.db
      .collection('events')
      .find({ type: 'sign_in.failed', userId: { $exists: false }, ip: client })
      .toArray();
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBeLessThanOrEqual(2);
    let attempts = 0;
    for (const event of events) {
      expect(event.details).toMatchObject({ method: 'password', reason: 'unknown_login' });
      attempts += (event.details as { attempts: number }).attempts;
      expect(days(event.expiresAt as Date)).toBeGreaterThan(0.99);
      expect(days(event.expiresAt as Date)).toBeLessThanOrEqual(1.02);
    }
    expect(attempts).toBe(40);

    // A login that keeps being tried keeps its count through the longest wait, and minutes after.
    const persistent = madeUp[0];
    const recordId = signInFailureId(accountKeyOfLogin(persistent));
    await failures().updateOne({ _id: recordId }, { $set: { failures: 30, retryAt: null } });
    await fromClient(persistent, WRONG).expect(401);
    const waiting = await unknownRecord(persistent);
    expect(minutes(waiting!.retryAt)).toBeGreaterThan(14.9);
    expect(waiting!.expiresAt!.getTime() - waiting!.retryAt!.getTime()).toBe(15 * 60_000);

    // A real account's failures are kept 30 days, and its event 90, each on its own.
    const { id } = await registerFrom(a, newAccount({ username: 'really_counted' }));
    await fromClient('really_counted', WRONG).expect(401);
    await fromClient('really_counted', WRONG).expect(401);
    const account = await recordOf(id);
    expect(account?.failures).toBe(2);
    expect(days(account?.expiresAt)).toBeGreaterThan(29.9);
    const accountEvents = await a.db
      .collection('events')
      .find({ type: 'sign_in.failed', userId: new Types.ObjectId(id) })
      .toArray();
    expect(accountEvents).toHaveLength(2);
    for (const event of accountEvents) expect(days(event.expiresAt as Date)).toBeGreaterThan(89.9);
  });

  it('keeps the counts in MongoDB with a TTL index, under hashed keys', async () => {
    const indexes = await failures().listIndexes().toArray();
    expect(indexes).toContainEqual(
      expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 }),
    );
    const stored = await failures().find({}).toArray();
    expect(stored.length).toBeGreaterThan(0);
    for (const record of stored) expect(record._id).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parallel failed password checks on one account', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // A first wait of ten minutes: a burst that a busy machine serves slowly still ends within it,
    // so what the answers show is the counting, not the machine's speed.
    [a, b] = await twoInstances({
      env: {
        TRUST_PROXY: 'loopback',
        SIGN_IN_RATE_LIMIT: '1000',
        SIGN_IN_FREE_FAILURES: '5',
        SIGN_IN_FIRST_DELAY_SECONDS: '600',
        SIGN_IN_MAX_DELAY_SECONDS: '900',
        ARGON2_MEMORY_KIB: '8192',
        ARGON2_TIME_COST: '1',
      },
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('counts every one of parallel failures on two instances, and lets none past the wait', async () => {
    const account = newAccount({ username: 'rushed' });
    const { id } = await registerFrom(a, account);
    let turn = 0;
    const statuses = await Promise.all(
      Array.from(
        { length: 20 },
        async () =>
          (
            await request((++turn % 2 ? a : b).http)
              .post('/auth/login')
              .set('X-Forwarded-For', nextAddress())
              .send({ login: 'rushed', password: WRONG })
          ).status,
      ),
    );
    // Five free failures and the one that started the wait were checked; the rest refused.
    expect(statuses.filter((status) => status === 401)).toHaveLength(6);
    expect(statuses.filter((status) => status === 429)).toHaveLength(14);
    expect(await accountChecks(a, id)).toMatchObject({ failures: 6 });
  });
});

describe('parallel failed password checks', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await twoInstances({
      env: { SIGN_IN_FREE_FAILURES: '60', SIGN_IN_RATE_LIMIT: '1000' },
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('counts all of 50 wrong attempts at once, on two instances', async () => {
    const { user } = await register(a.http, newAccount({ username: 'fifty_at_once' }));
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const response = await request((i % 2 ? a : b).http)
          .post('/auth/login')
          .send({ login: 'fifty_at_once', password: WRONG });
        return response.status;
      }),
    );
    expect(statuses).toEqual(Array(50).fill(401));
    expect(await accountChecks(a, user.id)).toMatchObject({ failures: 50 });
  });

  it('signs one account in many times at once, each success setting the count back to zero', async () => {
    const account = newAccount();
    const { user } = await register(a.http, account);
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const response = await request((i % 2 ? a : b).http)
          .post('/auth/login')
          .send({ login: account.email, password: GOOD_PASSWORD });
        return response.status;
      }),
    );
    expect(statuses).toEqual(Array(30).fill(200));
    expect(await accountChecks(a, user.id)).toMatchObject({ failures: 0 });
  });
});

describe('the recovery link and a locked password', () => {
  let fixture: AppWithMail;
  let mail: MailServer;
  let t: TestApp;
  beforeAll(async () => {
    fixture = await appWithMail({
      // Cheaper hashes keep a hundred failures quick; createTestApp's limits lock at 100 failures.
      env: { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' },
    });
    ({ mail, t } = fixture);
  });
  afterAll(() => fixture?.close());

  it('is announced to the owner, always works, and unlocks the password', async () => {
    const { account, user } = await register(t.http);
    // The owner confirmed the address: notices go only to a verified one.
    const verification = tokenIn(await mail.next(account.email), '/verify-email');
    await request(t.http).post('/auth/email/verify').send({ token: verification }).expect(200);
    const signIn = (password: string) =>
      request(t.http).post('/auth/login').send({ login: account.email, password });
    for (let i = 0; i < 100; i++) await signIn(WRONG).expect(401);
    expect((await signIn(GOOD_PASSWORD).expect(429)).body.error.code).toBe('SIGN_IN_LOCKED');

    const notice = await mail.next(account.email, 2);
    expect(notice.subject).toBe('Signing in to your account is locked · Account');
    expect(linkIn(notice, '/forgot-password').href).toBe(`${t.config.publicUrl}/forgot-password`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mail.to(account.email)).toHaveLength(2);

    await request(t.http).post('/auth/password/forgot').send({ email: account.email }).expect(202);
    const token = tokenIn(await mail.next(account.email, 3), '/reset-password');
    const newPassword = 'a recovered passphrase after the lock';
    await request(t.http).post('/auth/password/reset').send({ token, newPassword }).expect(204);

    expect(await accountChecks(t, user.id)).toMatchObject({ failures: 0 });
    await signIn(newPassword).expect(200);
  });
});

describe('admin API rate limit per caller (ADMIN_RATE_LIMIT)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_RATE_LIMIT: '3' } });
  });
  afterAll(() => t.close());

  /** A registered account made admin in the database, with its session cookie. */
  async function newAdmin() {
    const { cookie, user } = await register(t.http);
    await t.db
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(user.id) }, { $set: { role: 'admin' } });
    return { cookie, id: user.id };
  }

  it('refuses a caller past ADMIN_RATE_LIMIT requests a minute with 429 and Retry-After, writing nothing, while other callers go on', async () => {
    const admin = await newAdmin();
    const other = await newAdmin();
    const key = await t.app.get(ApiKeysService).create({ name: 'sync', scopes: ['admin'] });
    const { user } = await register(t.http);
    const as = (cookie: string) => ({
      list: () => request(t.http).get('/admin/users').set('Cookie', cookie),
      rename: (name: string) =>
        request(t.http).patch(`/admin/users/${user.id}`).set('Cookie', cookie).send({ name }),
    });

    await as(admin.cookie).list().expect(200);
    await as(admin.cookie).list().expect(200);
    await as(admin.cookie).rename('Third').expect(200);
    const refused = await as(admin.cookie).rename('Fourth').expect(429);
    expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const stored = await t.db.collection('users').findOne({ _id: new Types.ObjectId(user.id) });
    expect(stored?.name).toBe('Third');
    await as(admin.cookie).list().expect(429);

    // Counted per caller: another admin, and an API key, each have their own minute.
    await as(other.cookie).list().expect(200);
    await request(t.http).get('/admin/users').set('Authorization', `Bearer ${key.key}`).expect(200);
    // The person's own routes are not the admin API's.
    await request(t.http).get('/me').set('Cookie', admin.cookie).expect(200);
  });
});
