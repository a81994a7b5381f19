import { type Connection, Schema } from 'mongoose';
import request from 'supertest';
import { isDatabaseUnavailable } from '../../src/platform/database/database-unavailable';
import { Transactions } from '../../src/platform/database/transactions';
import { newAccount, register } from '../support/accounts';
import { DatabaseProxy } from '../support/database-proxy';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';

/** The contract: a request that needs the unreachable database is answered within this. */
const ANSWERED_WITHIN_MS = 2000;

/**
 * The same, when the database stops answering without closing its connections (a partition): about
 * 2 s too, with room for a busy machine, far below the driver's own 40 s.
 */
const ANSWERED_WITHOUT_ANSWERS_WITHIN_MS = 3000;

const MAIL_POLL_INTERVAL_MS = 250;

/** What the app logged from `since` (an offset in its logs) on, line by line. */
interface LogLine {
  level: number;
  msg: string;
  context?: string;
  cause?: { type?: string; message?: string };
}

function logLines(t: TestApp, since = 0): LogLine[] {
  return t
    .logs()
    .slice(since)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

const APP = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
};

/**
 * The database goes away under a running instance (a proxy in front of it is cut: connections
 * dropped, new ones refused; or it holds: connections open, no answer) and comes back: meanwhile
 * every request that needs it is answered 503 with Retry-After at once, not after a wait;
 * afterwards the same requests succeed, with no restart.
 */
describe('while the database is unreachable', () => {
  let proxy: DatabaseProxy;
  let t: TestApp;
  let cookie: string;
  const account = newAccount();

  beforeAll(async () => {
    proxy = await DatabaseProxy.start();
    t = await createTestApp({
      env: {
        MONGODB_URI: proxy.uri(newDatabaseName()),
        OIDC_CLIENTS: JSON.stringify([APP]),
        MAIL_POLL_INTERVAL_MS: String(MAIL_POLL_INTERVAL_MS),
      },
      captureLogs: true,
    });
    ({ cookie } = await register(t.http, account));
  });
  afterAll(async () => {
    await proxy?.restore();
    await t?.close();
    await proxy?.close();
  });

  /** The requests that need the database. */
  const registration = () => request(t.http).post('/auth/register').send(newAccount());
  const signIn = () =>
    request(t.http).post('/auth/login').send({ login: account.email, password: account.password });
  const me = () => request(t.http).get('/me').set('Cookie', cookie);
  const settingsPage = () =>
    request(t.http).get('/settings').set('Cookie', cookie).set('Accept', 'text/html');
  const tokenExchange = () =>
    request(t.http).post('/oauth2/token').auth(APP.client_id, APP.client_secret).type('form').send({
      grant_type: 'authorization_code',
      code: 'a-code-never-issued',
      redirect_uri: APP.redirect_uris[0],
    });

  /** The request's response, and how long it took. */
  async function timed(send: () => request.Test) {
    const started = Date.now();
    const response = await send();
    return { response, ms: Date.now() - started };
  }

  /** `send` answers 503 SERVICE_UNAVAILABLE with Retry-After within `withinMs`. */
  async function expectUnavailable(send: () => request.Test, withinMs: number) {
    const { response, ms } = await timed(send);
    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
    });
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(ms).toBeLessThan(withinMs);
  }

  describe('when it goes away', () => {
    let cutAt: number;
    let logsBefore: number;
    beforeAll(async () => {
      logsBefore = t.logs().length;
      cutAt = Date.now();
      await proxy.cut();
    });

    it.each([
      // First, while the driver still takes the server for reachable: the transaction's first
      // write meets a dropped connection, which the driver's withTransaction would retry.
      ['POST /auth/register', registration],
      ['POST /auth/login', signIn],
      ['GET /me', me],
    ])('%s answers 503 SERVICE_UNAVAILABLE with Retry-After, at once', (_route, send) =>
      expectUnavailable(send, ANSWERED_WITHIN_MS),
    );

    it('a page answers with the error page, 503 and Retry-After, at once', async () => {
      const { response, ms } = await timed(settingsPage);
      expect(response.status).toBe(503);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('cannot reach its database');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
    });

    it("the OpenID Connect provider's token endpoint answers 503 temporarily_unavailable", async () => {
      const { response, ms } = await timed(tokenExchange);
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
    });

    it('readiness says 503, liveness 200', async () => {
      const { response, ms } = await timed(() => request(t.http).get('/health/ready'));
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: { mongodb: { status: 'down' } } });
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
      await request(t.http).get('/health/live').expect(200);
    });

    it('logs each refusal as a warning, not as an error; the mail outbox tries at each poll, no more', () => {
      const lines = logLines(t, logsBefore);
      expect(lines.filter(({ level }) => level >= 50)).toEqual([]);
      const refused = lines.filter(({ msg }) => msg.startsWith('Database unreachable'));
      expect(refused.length).toBeGreaterThanOrEqual(4);
      expect(refused.every(({ level }) => level === 40)).toBe(true);
      // Each names the driver's error, for the operator to tell a timeout from a refusal.
      for (const { cause } of refused) expect(cause?.type).toMatch(/^Mongo\w*Error$/);
      const mailPasses = lines.filter(({ msg }) => msg === 'Mail delivery pass failed').length;
      // It keeps polling (so it delivers again once the database is back), without spinning.
      expect(mailPasses).toBeGreaterThan(0);
      expect(mailPasses).toBeLessThanOrEqual((Date.now() - cutAt) / MAIL_POLL_INTERVAL_MS + 2);
    });
  });

  /** Waits until readiness says 200: the driver finds the server again on its own. */
  async function readyWithin(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while ((await request(t.http).get('/health/ready')).status !== 200) {
      if (Date.now() > deadline)
        throw new Error(`Still not ready ${ms} ms after the database returned`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  describe('when it is back', () => {
    beforeAll(async () => {
      await proxy.restore();
      await readyWithin(20_000);
    });

    it('the same requests succeed, without a restart', async () => {
      await signIn().expect(200);
      await me().expect(200);
      const page = await settingsPage().expect(200);
      expect(page.text).toContain(account.email);
      // The provider reached its storage: the code is unknown, not the database.
      const token = await tokenExchange().expect(400);
      expect(token.body).toMatchObject({ error: 'invalid_grant' });
    });
  });

  describe('when it goes away under a transaction', () => {
    const probeModel = (db: Connection) => db.model('OutageProbe', new Schema({ n: Number }));
    let probes: ReturnType<typeof probeModel>;
    beforeAll(() => {
      probes = probeModel(t.db);
    });
    beforeEach(async () => {
      await proxy.restore();
      await readyWithin(20_000);
      await probes.createCollection();
    });

    /** Runs a transaction that writes, then `meanwhile`, then writes again; how it ended. */
    async function transactionAcross(meanwhile: () => void | Promise<void>) {
      let attempts = 0;
      const started = Date.now();
      const outcome = await t.app
        .get(Transactions)
        .run(async () => {
          attempts += 1;
          await probes.create({ n: 1 });
          await meanwhile();
          await probes.create({ n: 2 });
        })
        .then(
          () => 'committed',
          (error: unknown) => error,
        );
      return { outcome, attempts, ms: Date.now() - started };
    }

    it('between two writes: the second waits for a server, then the abort does, within the time', async () => {
      const { outcome, attempts, ms } = await transactionAcross(() => proxy.cut());
      expect(isDatabaseUnavailable(outcome)).toBe(true);
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
      expect(attempts).toBe(1);
    });

    it('under a write (its answer held back): it fails within the time, and is not tried again', async () => {
      const { outcome, attempts, ms } = await transactionAcross(() => {
        proxy.hold();
        setTimeout(() => void proxy.cut(), 100);
      });
      expect(isDatabaseUnavailable(outcome)).toBe(true);
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
      expect(attempts).toBe(1);
    });

    it('under a write whose answer never comes (no cut): it fails soon, and is not tried again', async () => {
      const { outcome, attempts, ms } = await transactionAcross(() => proxy.hold());
      expect(isDatabaseUnavailable(outcome)).toBe(true);
      expect(ms).toBeLessThan(ANSWERED_WITHOUT_ANSWERS_WITHIN_MS);
      expect(attempts).toBe(1);
    });
  });
  describe('when it stops answering (its connections stay open)', () => {
    beforeAll(async () => {
      await proxy.restore();
      await readyWithin(20_000);
      // Requests then find open connections in the pool, as they would in production.
      await me().expect(200);
      proxy.hold();
    });

    it.each([
      // First, while the driver still takes the server for reachable: the request is sent on an
      // open connection and no answer comes. Then, once it took the server for gone.
      ['GET /me', me],
      ['POST /auth/login', signIn],
      ['GET /me', me],
    ])('%s answers 503 SERVICE_UNAVAILABLE with Retry-After, soon', (_route, send) =>
      expectUnavailable(send, ANSWERED_WITHOUT_ANSWERS_WITHIN_MS),
    );

    it("the OpenID Connect provider's token endpoint answers 503 temporarily_unavailable", async () => {
      const { response, ms } = await timed(tokenExchange);
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(ms).toBeLessThan(ANSWERED_WITHOUT_ANSWERS_WITHIN_MS);
    });

    it('readiness says 503', async () => {
      const { response, ms } = await timed(() => request(t.http).get('/health/ready'));
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ error: { mongodb: { status: 'down' } } });
      expect(ms).toBeLessThan(ANSWERED_WITHOUT_ANSWERS_WITHIN_MS);
    });

    describe('when it answers again', () => {
      beforeAll(async () => {
        await proxy.restore();
        await readyWithin(20_000);
      });

      it('the same requests succeed, without a restart', async () => {
        await signIn().expect(200);
        await me().expect(200);
        const token = await tokenExchange().expect(400);
        expect(token.body).toMatchObject({ error: 'invalid_grant' });
      });
    });
  });
});
