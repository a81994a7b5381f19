import { HealthCheckService } from '@nestjs/terminus';
import request from 'supertest';
import { newAccount } from '../support/accounts';
import { appWithMail, AppWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import { newIdentity, startSocialWorld } from '../support/social';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('logs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });
  afterAll(() => t.close());

  it('never contain passwords, hashes or session tokens, even at trace level', async () => {
    const password = 'a very distinctive passphrase 7f3a';
    const account = newAccount({ password });
    const registered = await request(t.http).post('/auth/register').send(account).expect(201);
    const cookie = (registered.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    await request(t.http).post('/auth/login').send({ login: account.email, password }).expect(200);
    await request(t.http)
      .post('/auth/login')
      .send({ login: account.email, password: `${password}!` })
      .expect(401);
    await request(t.http)
      .put('/me/password')
      .set('Cookie', cookie)
      .send({ currentPassword: password, newPassword: `${password} rotated` })
      .expect(204);
    await request(t.http)
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send(`{"password":"${password}",`)
      .expect(400);

    const stored = await t.db.collection('users').findOne({ email: account.email });
    const logs = t.logs();
    expect(logs).toContain('"url":"/auth/login"'); // requests are logged…
    expect(logs).not.toContain('distinctive passphrase'); // …but never credentials
    expect(logs).not.toContain(stored!.passwordHash as string);
    expect(logs).not.toContain(cookie.split('=')[1]);
    expect(logs).not.toContain('$argon2');
  });
});

describe('request logs of a signed-in person', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });
  afterAll(() => t.close());

  it('carry the user id, and none for a signed-out request', async () => {
    const registered = await request(t.http).post('/auth/register').send(newAccount()).expect(201);
    const cookie = (registered.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    await request(t.http)
      .get('/me')
      .set('Cookie', cookie)
      .set('X-Request-Id', 'signed-in-1')
      .expect(200);
    await request(t.http).get('/me').set('X-Request-Id', 'signed-out-1').expect(401);
    const completed = (id: string) =>
      t
        .logs()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { req?: { id?: string }; userId?: string; msg?: string })
        .find((entry) => entry.req?.id === id && entry.msg === 'request completed');
    expect(completed('signed-in-1')?.userId).toBe(registered.body.user.id);
    expect(completed('signed-out-1')).toBeDefined();
    expect(completed('signed-out-1')).not.toHaveProperty('userId');
  });
});

describe('logs with mail delivered over SMTP (as in production)', () => {
  let mail: MailServer;
  let t: TestApp;

  let fixture: AppWithMail;
  beforeAll(async () => {
    fixture = await appWithMail({
      captureLogs: true,
    });
    ({ mail, t } = fixture);
  });
  afterAll(() => fixture?.close());

  it("never contain a link's token, neither from the message nor from the page's address", async () => {
    const account = newAccount();
    await request(t.http).post('/auth/register').send(account).expect(201);
    await request(t.http).post('/auth/password/forgot').send({ email: account.email }).expect(202);
    const verification = tokenIn(await mail.next(account.email), '/verify-email');
    const recovery = tokenIn(await mail.next(account.email, 2), '/reset-password');
    await request(t.http).get(`/verify-email?token=${verification}`).expect(200);
    await request(t.http).get(`/reset-password?token=${recovery}`).expect(200);
    await request(t.http).post('/auth/email/verify').send({ token: verification }).expect(200);

    const logs = t.logs();
    expect(logs).toContain('/verify-email?token=redacted');
    expect(logs).toContain('Mail delivered');
    expect(logs).not.toContain(verification);
    expect(logs).not.toContain(recovery);
  });

  it('name no request in the lines of delivery, which runs apart from the request that woke it', async () => {
    const account = newAccount();
    await request(t.http).post('/auth/register').send(account).expect(201);
    await mail.next(account.email);
    const delivered = () =>
      t
        .logs()
        .split('\n')
        .filter((line) => line.includes('"Mail delivered"'))
        .map((line) => JSON.parse(line) as { req?: unknown });
    // Logged once the SMTP server has answered, a moment after the message arrived.
    await waitFor(() => delivered().length > 0, { what: 'the delivery to be logged' });
    expect(delivered().filter((line) => line.req !== undefined)).toEqual([]);
  });
});

describe('request logs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
  });
  afterAll(() => t.close());

  /** The request log lines (pino-http's "request completed" / "request errored") of one request. */
  const requestLogs = (id: string) =>
    t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { req?: { id?: string }; res?: { statusCode?: number } })
      .filter((entry) => entry.req?.id === id && entry.res !== undefined);

  it.each([
    ['malformed JSON', 'parser-malformed', '{"email": ', 400],
    ['a body over 100 kB', 'parser-too-large', JSON.stringify({ name: 'x'.repeat(110_000) }), 413],
    ['a body nested too deeply', 'parser-too-deep', `${'['.repeat(100)}${']'.repeat(100)}`, 400],
  ])('include a request the body parser refuses (%s)', async (_case, id, body, status) => {
    await request(t.http)
      .post('/auth/register')
      .set('X-Request-Id', id)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(status);
    expect(requestLogs(id).map((entry) => entry.res?.statusCode)).toEqual([status]);
  });

  it('include a request refused for a malformed cookie', async () => {
    await request(t.http)
      .get('/me')
      .set('X-Request-Id', 'cookie-refused')
      .set('Cookie', 'sid=j:{"a":1}')
      .expect(400);
    expect(requestLogs('cookie-refused').map((entry) => entry.res?.statusCode)).toEqual([400]);
  });

  it('hold no provider code or state when an unexpected error is logged', async () => {
    const health = t.app.get(HealthCheckService);
    // A fault no client can cause, injected to make the exception filter log a 500.
    const failure = jest.spyOn(health, 'check').mockRejectedValueOnce(new Error('disk on fire'));
    try {
      const response = await request(t.http)
        .get('/health?code=secret-code-4f2a&state=secret-state-9b1c&scope=email')
        .expect(500);
      expect(response.body.error.code).toBe('INTERNAL_ERROR');
    } finally {
      failure.mockRestore();
    }
    const logs = t.logs();
    expect(logs).toContain('"msg":"Unhandled error"');
    expect(logs).toContain('/health?code=redacted&state=redacted&scope=email');
    expect(logs).not.toContain('secret-code-4f2a');
    expect(logs).not.toContain('secret-state-9b1c');
  });

  it('name the request in lines written while it is handled, and log a 5xx as errored', async () => {
    const health = t.app.get(HealthCheckService);
    const failure = jest.spyOn(health, 'check').mockRejectedValueOnce(new Error('disk on fire'));
    try {
      await request(t.http)
        .get('/health?code=secret-code-77c1')
        .set('X-Request-Id', 'unhandled-1')
        .set('User-Agent', 'probe/1.0')
        .expect(500);
    } finally {
      failure.mockRestore();
    }
    const entries = t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown> & { req?: { id?: string } })
      .filter((entry) => entry.req?.id === 'unhandled-1');
    const logged = { id: 'unhandled-1', method: 'GET', url: '/health?code=redacted' };
    expect(entries.find((entry) => entry.msg === 'Unhandled error')).toMatchObject({
      context: 'Errors',
      req: { ...logged, userAgent: 'probe/1.0' },
      err: { message: 'disk on fire' },
    });
    expect(entries.find((entry) => entry.msg === 'request errored')).toMatchObject({
      req: logged,
      res: { statusCode: 500 },
      err: { message: 'failed with status code 500' },
      responseTime: expect.any(Number),
    });
    expect(JSON.stringify(entries)).not.toContain('secret-code-77c1');
  });

  it('write the same fields for every completed request', async () => {
    await request(t.http).get('/health/live').set('X-Request-Id', 'live-1').expect(200);
    const line = t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((text) => JSON.parse(text) as Record<string, unknown> & { req?: { id?: string } })
      .find((entry) => entry.req?.id === 'live-1');
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      req: {
        id: 'live-1',
        method: 'GET',
        url: '/health/live',
        remoteAddress: expect.any(String),
      },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
  });
});

describe('logs of a provider sign-in', () => {
  it('never contain the authorization code or the state', async () => {
    const world = await startSocialWorld({}, { captureLogs: true });
    try {
      const browser = world.browser();
      const url = await browser.authorize(world.provider('google'), newIdentity());
      await browser.callback(url).expect(200);
      const logs = world.t.logs();
      expect(logs).toContain('/auth/google/callback?');
      expect(logs).not.toContain(url.searchParams.get('code'));
      expect(logs).not.toContain(url.searchParams.get('state'));
    } finally {
      await world.close();
    }
  });
});
