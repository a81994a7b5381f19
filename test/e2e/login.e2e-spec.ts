import mongoose from 'mongoose';
import request from 'supertest';
import { HashScheduler } from '../../src/sign-in/limits/hash-scheduler';
import { SignInConfig, signInConfig } from '../../src/sign-in/sign-in-config';
import { GOOD_PASSWORD, login, newAccount, register, sessionCookie } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

describe('signing in and out', () => {
  let t: TestApp;
  let account: ReturnType<typeof newAccount>;
  let username: string;

  beforeAll(async () => {
    t = await createTestApp();
    account = newAccount({ email: 'Signin.Person@Example.test', username: 'signin_person' });
    ({
      user: { username },
    } = await register(t.http, account));
  });
  afterAll(() => t.close());

  it.each([
    ['the email', 'signin.person@example.test'],
    ['the email in another case', 'SIGNIN.PERSON@EXAMPLE.TEST'],
    ['the username', 'signin_person'],
    ['the username in another case', 'Signin_Person'],
  ])('signs in with %s', async (_case, loginName) => {
    const response = await request(t.http)
      .post('/auth/login')
      .send({ login: loginName, password: GOOD_PASSWORD })
      .expect(200);
    expect(response.body.user).toMatchObject({ username, email: 'signin.person@example.test' });
    const me = await request(t.http).get('/me').set('Cookie', sessionCookie(response)).expect(200);
    expect(me.body.user.username).toBe(username);
  });

  it('answers a wrong password and an unknown account with the same 401', async () => {
    const wrong = await request(t.http)
      .post('/auth/login')
      .send({ login: username, password: 'not the right password' })
      .expect(401);
    const unknown = await request(t.http)
      .post('/auth/login')
      .send({ login: 'nobody_here', password: 'not the right password' })
      .expect(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('spends a password verification on unknown accounts too, so timing does not tell', async () => {
    // Counted, not timed: each attempt schedules exactly one argon2 verification, whoever it names.
    const verifications = jest.spyOn(t.app.get(HashScheduler), 'run');
    const attempt = async (loginName: string) => {
      verifications.mockClear();
      await request(t.http)
        .post('/auth/login')
        .send({ login: loginName, password: 'wrong password!' })
        .expect(401);
      return verifications.mock.calls.length;
    };
    try {
      expect(await attempt(username)).toBe(1);
      expect(await attempt('nobody_at_all')).toBe(1);
      expect(await attempt('nobody@nowhere.example')).toBe(1);
    } finally {
      verifications.mockRestore();
    }
  });

  it('ends the session on logout, everywhere', async () => {
    const cookie = await login(t.http, username, GOOD_PASSWORD);
    await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    const sessionsBefore = await t.db.collection('sessions').countDocuments();

    const response = await request(t.http).post('/auth/logout').set('Cookie', cookie).expect(204);
    expect((response.headers['set-cookie'] as unknown as string[])[0]).toMatch(
      /^sid=;.*Expires=Thu, 01 Jan 1970/,
    );

    // The same cookie replayed from anywhere no longer works: the record is gone.
    const me = await request(t.http).get('/me').set('Cookie', cookie).expect(401);
    expect(me.body.error.code).toBe('UNAUTHENTICATED');
    expect(await t.db.collection('sessions').countDocuments()).toBe(sessionsBefore - 1);
  });

  it('treats logout without a session as done', async () => {
    await request(t.http).post('/auth/logout').expect(204);
  });

  it('stores only a hash of the session token', async () => {
    const cookie = await login(t.http, username, GOOD_PASSWORD);
    const token = cookie.split('=')[1];
    expect(await t.db.collection('sessions').countDocuments({ _id: token as never })).toBe(0);
  });

  it('refuses a session whose lifetime has run out', async () => {
    const cookie = await login(t.http, username, GOOD_PASSWORD);
    await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    // Age every session of the account past its expiry, as time would.
    const user = await t.db.collection('users').findOne({ username });
    await t.db
      .collection('sessions')
      .updateMany({ userId: user!._id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    await request(t.http).get('/me').set('Cookie', cookie).expect(401);
  });

  it('pushes the idle expiry forward on use, never past the absolute one', async () => {
    const cookie = await login(t.http, username, GOOD_PASSWORD);
    const sessions = t.db.collection('sessions');
    const [session] = await sessions.find().sort({ createdAt: -1 }).limit(1).toArray();
    const longAgo = new Date(Date.now() - 3600_000);
    await sessions.updateOne(
      { _id: session._id },
      { $set: { lastSeenAt: longAgo, expiresAt: new Date(Date.now() + 5000) } },
    );

    await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    const touched = await sessions.findOne<{ expiresAt: Date; absoluteExpiresAt: Date }>({
      _id: session._id,
    });
    const idle = t.app.get<SignInConfig>(signInConfig.KEY).SESSION_IDLE_TIMEOUT_SECONDS * 1000;
    expect(touched!.expiresAt.getTime()).toBeGreaterThan(Date.now() + idle - 60_000);
    expect(touched!.expiresAt.getTime()).toBeLessThanOrEqual(touched!.absoluteExpiresAt.getTime());
  });

  /** The operations the app asks of the sessions and users collections while `work` runs. */
  async function operationsOn(work: () => Promise<unknown>): Promise<string[]> {
    const operations: string[] = [];
    // mongoose's debug hook sees each collection call, each of them one command to the server.
    mongoose.set('debug', (collection: string, method: string) => {
      if (collection === 'sessions' || collection === 'users') {
        operations.push(`${method} ${collection}`);
      }
    });
    try {
      await work();
    } finally {
      mongoose.set('debug', false);
    }
    return operations;
  }

  it('checks a session and reads its account in one database round trip', async () => {
    const cookie = await login(t.http, username, GOOD_PASSWORD);
    const operations = await operationsOn(() =>
      request(t.http).get('/me').set('Cookie', cookie).expect(200),
    );
    expect(operations).toEqual(['aggregate sessions']);
  });

  it('sees a change to the account at once: it is read afresh with each session check', async () => {
    const other = await register(t.http, newAccount());
    await request(t.http).get('/me').set('Cookie', other.cookie).expect(200);
    await t.db
      .collection('users')
      .updateOne({ username: other.user.username }, { $set: { name: 'Renamed Elsewhere' } });
    const me = await request(t.http).get('/me').set('Cookie', other.cookie).expect(200);
    expect(me.body.user.name).toBe('Renamed Elsewhere');
    await t.db.collection('users').deleteOne({ username: other.user.username });
    await request(t.http).get('/me').set('Cookie', other.cookie).expect(401);
  });

  it('ignores a forged or malformed session cookie', async () => {
    await request(t.http).get('/me').set('Cookie', 'sid=forged-token').expect(401);
    await request(t.http)
      .get('/me')
      .set('Cookie', `sid=${'a'.repeat(5000)}`)
      .expect(401);
    await request(t.http).get('/me').expect(401);
  });

  it.each([
    ['an operator instead of a login', { login: { $gt: '' }, password: 'x' }, 'login'],
    [
      'an operator instead of a password',
      { login: 'signin_person', password: { $ne: null } },
      'password',
    ],
    ['a missing password', { login: 'signin_person' }, 'password'],
    ['an unknown field', { login: 'signin_person', password: GOOD_PASSWORD, admin: true }, 'admin'],
  ])(
    'refuses %s with 400 naming the field, before any sign-in attempt',
    async (_case, body, field) => {
      const response = await request(t.http).post('/auth/login').send(body).expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(response.headers['set-cookie']).toBeUndefined();
    },
  );
});

describe('session cookie in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        PUBLIC_URL: 'https://accounts.example.test',
        SMTP_URL: 'smtp://127.0.0.1:9',
        MAIL_FROM: 'Accounts <no-reply@example.test>',
        CSRF_SECRET: 'a-csrf-secret-shared-by-every-instance',
        TWO_STEP_SECRET: 'a-two-step-secret-shared-by-every-instance',
      },
    });
  });
  afterAll(() => t.close());

  it('is marked Secure', async () => {
    const response = await request(t.http).post('/auth/register').send(newAccount()).expect(201);
    const cookie = (response.headers['set-cookie'] as unknown as string[])[0];
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });
});
