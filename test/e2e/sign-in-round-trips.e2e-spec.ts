import request from 'supertest';
import { accountKeyOfLogin, accountKeyOfUser } from '../../src/sign-in/limits/account-key';
import { signInFailureId } from '../../src/sign-in/limits/sign-in-failures';
import { accountChecks, StoredChecks } from '../support/check-counts';
import { GOOD_PASSWORD, newAccount, register, sessionCookie } from '../support/accounts';
import { testServerUri, withDatabase } from '../support/mongo-uri';
import { commandsDuring } from '../support/commands';
import { PasswordHasher } from '../../src/sign-in/methods/password/password-hasher.service';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';

const WRONG = 'a wrong guess of a password';

/** Distinct client addresses, as a reverse proxy reports them in X-Forwarded-For. */
let lastAddress = 0;
const nextAddress = () => `198.19.${Math.floor(++lastAddress / 250)}.${(lastAddress % 250) + 1}`;

/** An instance on `database` whose connection reports every command it sends. */
function monitoredApp(database: string): Promise<TestApp> {
  return createTestApp({
    database,
    env: {
      MONGODB_URI: `${withDatabase(testServerUri(), database)}&monitorCommands=true`,
      SIGN_IN_RATE_LIMIT: '3',
      TRUST_PROXY: 'loopback',
    },
  });
}

/** A request's answer and the commands sent for it. */
async function answerAndCommands(t: TestApp, send: () => request.Test) {
  let response!: request.Response;
  const commands = await commandsDuring(t, async () => {
    response = await send();
  });
  return { response, commands };
}

describe('a sign-in’s and a session check’s round trips', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await monitoredApp(newDatabaseName());
  });
  afterAll(() => t.close());

  const signIn =
    (login: string, password: string, ip = nextAddress()) =>
    () =>
      request(t.http).post('/auth/login').set('X-Forwarded-For', ip).send({ login, password });

  it('a password sign-in makes at most three, GET /me exactly one', async () => {
    const { account } = await register(t.http, newAccount());
    const ip = nextAddress();
    // A person's first attempt from their address inserts its count; a later one counts on it.
    // The first check of an account starts its counts: no command more, as every later one.
    for (const clientCount of ['insert rate_limits', 'findAndModify rate_limits']) {
      const { response, commands } = await answerAndCommands(
        t,
        signIn(account.email, GOOD_PASSWORD, ip),
      );
      expect(response.status).toBe(200);
      expect(commands).toEqual([
        clientCount,
        'findAndModify users',
        'bulkWrite users, events, sessions',
      ]);
      const cookie = sessionCookie(response);
      const me = await answerAndCommands(t, () => request(t.http).get('/me').set('Cookie', cookie));
      expect(me.response.status).toBe(200);
      expect(me.commands).toEqual(['aggregate sessions']);
      // The counts on the account's record are never shown.
      expect(JSON.stringify(me.response.body)).not.toMatch(/signInChecks|failures|checksUntil/);
    }
  });

  /** A sign-in's answer, its commands, and those sent before its password verification began. */
  async function commandsBeforeVerifying(send: () => request.Test) {
    const hasher = t.app.get(PasswordHasher);
    const verifyPassword = hasher.verify.bind(hasher);
    let beforeVerifying: string[] | undefined;
    let response!: request.Response;
    const commands = await commandsDuring(t, async (sentSoFar) => {
      const watch = jest.spyOn(hasher, 'verify').mockImplementation((...args) => {
        beforeVerifying = [...sentSoFar];
        return verifyPassword(...args);
      });
      try {
        response = await send();
      } finally {
        watch.mockRestore();
      }
    });
    return { response, commands, beforeVerifying };
  }

  it('a login that matches no account is counted in sign_in_failures while its password is verified: its answer comes as late as an account’s', async () => {
    const { account } = await register(t.http, newAccount());
    // An account's wrong password: its count found and admitted, the verification, the failure.
    const known = await commandsBeforeVerifying(signIn(account.email, WRONG));
    expect(known.response.status).toBe(401);
    expect(known.beforeVerifying).toEqual(['insert rate_limits', 'findAndModify users']);
    expect(known.commands).toEqual([...known.beforeVerifying!, 'insert events']);

    // A login never seen: its record is created while the verification runs, not before it.
    const login = `nobody_else_${Date.now()}`;
    for (const attempt of [1, 2]) {
      const unknown = await commandsBeforeVerifying(signIn(login, WRONG));
      expect(unknown.response.status).toBe(401);
      expect(unknown.response.body).toEqual(known.response.body);
      expect(unknown.beforeVerifying).toEqual(known.beforeVerifying);
      expect(unknown.commands).toContain('findAndModify sign_in_failures');
      const record = await t.db
        .collection('sign_in_failures')
        .findOne({ _id: signInFailureId(accountKeyOfLogin(login)) as never });
      expect(record?.failures).toBe(attempt);
    }
  });
});

describe('a flood of refused attempts', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const database = newDatabaseName();
    a = await monitoredApp(database);
    b = await monitoredApp(database);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a client past its limit is refused from memory, with no round trip and the same answer', async () => {
    const ip = nextAddress();
    const attempt = (t: TestApp) => () =>
      request(t.http)
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ login: `nobody_from_${ip}`, password: WRONG });
    for (let i = 0; i < 3; i++) await attempt(a)().expect(401);

    const first = await answerAndCommands(a, attempt(a));
    expect(first.response.status).toBe(429);
    expect(first.commands).toEqual(['findAndModify rate_limits']);
    for (let i = 0; i < 5; i++) {
      const again = await answerAndCommands(a, attempt(a));
      expect(again.response.status).toBe(429);
      expect(again.response.body).toEqual(first.response.body);
      expect(again.commands).toEqual([]);
      const retryAfter = Number(again.response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(Number(first.response.headers['retry-after']));
    }

    // Another instance learns of the block from the database at its first refusal, then remembers
    // (it guessed the client new: its insert finds the count there, which it then asks).
    const onB = await answerAndCommands(b, attempt(b));
    expect(onB.response.status).toBe(429);
    expect(onB.response.body).toEqual(first.response.body);
    expect(onB.commands).toEqual(['insert rate_limits', 'findAndModify rate_limits']);
    const againOnB = await answerAndCommands(b, attempt(b));
    expect(againOnB.response.status).toBe(429);
    expect(againOnB.commands).toEqual([]);
  });

  it('an account past its limit is refused from memory by the login typed and on its own routes', async () => {
    // Registered on a and signed in on b: POST /auth/login runs through passport's strategy, which
    // in this one process is the last instance's (b's); the /me routes are each instance's own.
    const account = newAccount({ username: `flooded_${Date.now()}` });
    const { cookie } = await register(a.http, account);
    const signIn = (login: string, password: string) => () =>
      request(b.http)
        .post('/auth/login')
        .set('X-Forwarded-For', nextAddress())
        .send({ login, password });
    for (let i = 0; i < 3; i++) await signIn(account.username!, WRONG)().expect(401);

    const first = await answerAndCommands(b, signIn(account.username!, GOOD_PASSWORD));
    expect(first.response.status).toBe(429);
    expect(first.response.body.error).toEqual({
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many attempts on this account. Please wait a minute and try again.',
    });
    /** What was sent besides the new client's own count. */
    const besidesClientCount = (commands: string[]) =>
      commands.filter((command) => !command.endsWith(' rate_limits'));
    expect(besidesClientCount(first.commands)).toEqual(['findAndModify users']);
    for (let i = 0; i < 3; i++) {
      const again = await answerAndCommands(b, signIn(account.username!, GOOD_PASSWORD));
      expect(again.response.status).toBe(429);
      expect(again.response.body).toEqual(first.response.body);
      // Not even the new client's count: a flood at the account from ever new addresses costs
      // no round trip once this instance knows the account is blocked.
      expect(again.commands).toEqual([]);
      expect(Number(again.response.headers['retry-after'])).toBeLessThanOrEqual(
        Number(first.response.headers['retry-after']),
      );
    }
    // The account's other routes on b: remembered by the account too.
    const changeOn = (t: TestApp) => () =>
      request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .set('X-Forwarded-For', nextAddress())
        .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a new passphrase for this one' });
    const onB = await answerAndCommands(b, changeOn(b));
    expect(onB.response.status).toBe(429);
    expect(onB.response.body).toEqual(first.response.body);
    // Besides the client's count, only the session check.
    expect(
      besidesClientCount(onB.commands).filter((command) => !command.endsWith(' sessions')),
    ).toEqual([]);

    // a learns of it from the database at its first refusal, and from then on refuses from memory.
    const onA = await answerAndCommands(a, changeOn(a));
    expect(onA.response.status).toBe(429);
    expect(onA.response.body).toEqual(first.response.body);
    expect(onA.commands).toContain('findAndModify users');
    const againOnA = await answerAndCommands(a, changeOn(a));
    expect(againOnA.response.status).toBe(429);
    expect(againOnA.commands).not.toContain('findAndModify users');
  });
});

describe('counts kept by earlier versions in sign_in_failures', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it('move onto the accounts at start-up: a locked account stays locked, unknown logins stay', async () => {
    const database = newDatabaseName();
    const first = await createTestApp({ database });
    apps.push(first);
    const account = newAccount();
    const { user } = await register(first.http, account);
    const failures = first.db.collection<{ _id: string } & Partial<StoredChecks>>(
      'sign_in_failures',
    );
    const accountRecord = signInFailureId(accountKeyOfUser(user.id));
    const loginRecord = signInFailureId(accountKeyOfLogin('someone_unknown'));
    await failures.insertMany([
      { _id: accountRecord, failures: 100, retryAt: null, attempt: 'old', expiresAt: null },
      {
        _id: loginRecord,
        failures: 2,
        retryAt: null,
        attempt: 'old',
        expiresAt: new Date(Date.now() + 600_000),
      },
    ]);
    // As on a database an earlier version ran on: the migration has not run there yet.
    await first.db.collection('migrations').deleteMany({});

    const upgraded = await createTestApp({ database });
    apps.push(upgraded);
    expect(await accountChecks(upgraded, user.id)).toMatchObject({
      failures: 100,
      expiresAt: null,
    });
    expect(await failures.countDocuments({ _id: accountRecord })).toBe(0);
    expect(await failures.countDocuments({ _id: loginRecord })).toBe(1);
    const refused = await request(upgraded.http)
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(429);
    expect(refused.body.error.code).toBe('SIGN_IN_LOCKED');
  });
});
