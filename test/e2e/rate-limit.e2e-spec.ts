import request from 'supertest';
import { HashScheduler } from '../../src/auth/hash-scheduler';
import {
  GOOD_PASSWORD,
  NewAccount,
  newAccount,
  register,
  sessionCookie,
} from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

const WRONG = 'a wrong guess of a password';

/** Distinct client addresses, as a reverse proxy reports them in X-Forwarded-For. */
let lastAddress = 0;
const nextAddress = () => `198.18.0.${++lastAddress}`;

/** Registers from a client address of its own, so the registration limit stays out of the way. */
async function registerFrom(t: TestApp, account: NewAccount) {
  const response = await request(t.http)
    .post('/auth/register')
    .set('X-Forwarded-For', nextAddress())
    .send(account)
    .expect(201);
  return { cookie: sessionCookie(response) };
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

  describe('covers every route that checks a password, each on its own', () => {
    let cookie: string;
    beforeAll(async () => {
      ({ cookie } = await registerFrom(t, newAccount()));
    });

    // Bodies that fail before any password check, so only the per-client count moves.
    it.each([
      ['patch', '/me', { name: '' }, 400],
      ['put', '/me/password', {}, 400],
      ['delete', '/me/password', undefined, 409],
      ['delete', '/me', { password: 5 }, 400],
      ['post', '/settings/profile', {}, 403],
      ['post', '/settings/password', {}, 403],
      ['post', '/settings/password/remove', {}, 403],
      ['post', '/settings/delete', {}, 403],
    ] as const)('%s %s', async (method, path, body, usualStatus) => {
      const ip = nextAddress();
      const send = (from: string) => {
        const call = request(t.http)
          [method](path)
          .set('Cookie', cookie)
          .set('X-Forwarded-For', from);
        return path.startsWith('/settings') ? call.type('form').send(body) : call.send(body);
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

describe('sign-in rate limit per account', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SIGN_IN_RATE_LIMIT: '3', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  /** Each attempt from a new client address, so only the per-account limit can refuse it. */
  const signIn = (login: string, password: string, ip = nextAddress()) =>
    request(t.http).post('/auth/login').set('X-Forwarded-For', ip).send({ login, password });

  it('refuses an account past SIGN_IN_RATE_LIMIT attempts a minute from any clients, while another account signs in', async () => {
    await registerFrom(t, newAccount({ username: 'guessed_at' }));
    await registerFrom(t, newAccount({ username: 'left_alone' }));
    const firstClient = nextAddress();
    await signIn('guessed_at', WRONG, firstClient).expect(401);
    await signIn('GUESSED_AT', WRONG).expect(401);
    await signIn('guessed_at', WRONG).expect(401);

    const blocked = await signIn('guessed_at', GOOD_PASSWORD).expect(429);
    expect(blocked.body.error).toEqual({
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many attempts on this account. Please wait a minute and try again.',
    });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(blocked.headers['set-cookie']).toBeUndefined();

    // Another account signs in, even from a client that took part in the guessing.
    await signIn('left_alone', GOOD_PASSWORD, firstClient).expect(200);
  });

  it('counts the email and the username of an account together', async () => {
    const account = newAccount({ username: 'two_names' });
    await registerFrom(t, account);
    await signIn('two_names', WRONG).expect(401);
    await signIn(account.email.toUpperCase(), WRONG).expect(401);
    await signIn('two_names', WRONG).expect(401);
    await signIn(account.email, GOOD_PASSWORD).expect(429);
  });

  it('answers for an unknown login exactly as for an existing account, so nobody learns which exist', async () => {
    await registerFrom(t, newAccount({ username: 'does_exist' }));
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
    await registerFrom(t, newAccount({ username: 'no_work_spent' }));
    for (let i = 0; i < 3; i++) await signIn('no_work_spent', WRONG).expect(401);
    const scheduled = jest.spyOn(t.app.get(HashScheduler), 'run');
    try {
      await signIn('no_work_spent', GOOD_PASSWORD).expect(429);
      await signIn('never_registered_person', WRONG).expect(401);
      // Only the unknown login's dummy verification was scheduled.
      expect(scheduled).toHaveBeenCalledTimes(1);
    } finally {
      scheduled.mockRestore();
    }
  });

  it('counts sign-in and the /me routes that check the password together', async () => {
    const account = newAccount({ username: 'counted_together' });
    const { cookie } = await registerFrom(t, account);
    const me = (method: 'put' | 'delete', path: string) =>
      request(t.http)[method](path).set('Cookie', cookie).set('X-Forwarded-For', nextAddress());

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
    expect(await t.db.collection('users').countDocuments({ username: 'counted_together' })).toBe(1);
  });

  it('refuses the pages’ forms too, with an error page and Retry-After', async () => {
    const account = newAccount({ username: 'page_person' });
    await registerFrom(t, account);
    const agent = request.agent(t.http);
    // Signing in is the first attempt of three.
    const signedIn = await agent
      .post('/auth/login')
      .set('X-Forwarded-For', nextAddress())
      .send({ login: 'page_person', password: GOOD_PASSWORD })
      .expect(200);
    const cookie = sessionCookie(signedIn);
    const page = await agent.get('/settings/delete').set('Accept', 'text/html').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const deleteForm = (password: string) =>
      agent
        .post('/settings/delete')
        .set('Cookie', cookie)
        .set('Accept', 'text/html')
        .set('X-Forwarded-For', nextAddress())
        .type('form')
        .send({ _csrf: token, password });

    expect((await deleteForm(WRONG)).status).toBe(401);
    expect((await deleteForm(WRONG)).status).toBe(401);
    const blocked = await deleteForm(GOOD_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['content-type']).toMatch(/text\/html/);
    expect(blocked.text).toContain('Too many attempts on this account.');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(await t.db.collection('users').countDocuments({ username: 'page_person' })).toBe(1);

    const change = await agent
      .post('/settings/password')
      .set('Cookie', cookie)
      .set('Accept', 'text/html')
      .set('X-Forwarded-For', nextAddress())
      .type('form')
      .send({
        _csrf: token,
        currentPassword: GOOD_PASSWORD,
        newPassword: 'a new passphrase for the page',
        newPasswordConfirm: 'a new passphrase for the page',
      });
    expect(change.status).toBe(429);
    expect(change.text).toContain('Too many attempts on this account.');
    expect(Number(change.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('sign-in rate limit behind one proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SIGN_IN_RATE_LIMIT: '2', TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  it('counts the address the proxy saw, whatever the client wrote before it', async () => {
    // The proxy appends the address it saw; everything before it is the client's own writing.
    const attempt = (claimed: string) =>
      request(t.http)
        .post('/auth/login')
        .set('X-Forwarded-For', `${claimed}, 203.0.113.50`)
        .send({ login: 'nobody_at_all', password: 'a wrong guess of a password' });
    await attempt('198.51.100.1').expect(401);
    await attempt('198.51.100.2').expect(401);
    await attempt('198.51.100.3').expect(429);
  });
});
