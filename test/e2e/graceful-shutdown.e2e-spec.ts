import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { HashScheduler } from '../../src/sign-in/limits/hash-scheduler';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { startLiveApp } from '../support/live-app';
import { MailServer } from '../support/mail';
import { createTestApp, dropDatabase, newDatabaseName, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/** Whether `promise` is still pending after the event loop has had a turn. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const first = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise((resolve) => setTimeout(resolve, 50, marker)),
  ]);
  return first === marker;
}

/** A JSON POST over a kept-alive connection of `agent`. */
function postJson(
  agent: Agent,
  url: string,
  body: unknown,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const outgoing = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: JSON.parse(text || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(data);
  });
}

describe('graceful shutdown: requests under way', () => {
  it('answers a sign-in waiting for argon2 with its 200 while the app stops, and takes no new connection meanwhile', async () => {
    // One argon2 computation at a time, taken by the test: the sign-in waits in the queue.
    const live = await startLiveApp({ env: { ARGON2_MAX_CONCURRENCY: '1' } });
    const server = live.t.app.getHttpServer();
    // Far longer than the test: a connection left open until it times out would show.
    server.keepAliveTimeout = 120_000;
    const account = newAccount();
    await register(live.t.http, account);
    const scheduler = live.t.app.get(HashScheduler);
    let release!: () => void;
    const occupied = scheduler.run('test:occupied', () => new Promise<void>((r) => (release = r)));
    const agent = new Agent({ keepAlive: true });
    try {
      const signIn = postJson(agent, `${live.url}/auth/login`, {
        login: account.email,
        password: GOOD_PASSWORD,
      });
      await waitFor(() => scheduler.waiting === 1);

      const closing = live.t.app.close();
      await waitFor(() => !server.listening);
      await expect(fetch(`${live.url}/health/live`)).rejects.toThrow();
      expect(await isPending(closing)).toBe(true);

      release();
      await occupied;
      const answer = await signIn;
      expect(answer.status).toBe(200);
      expect(answer.body.user).toMatchObject({ email: account.email });
      // Its kept-alive connection is closed once idle, not after keepAliveTimeout.
      const started = Date.now();
      await closing;
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      release?.();
      agent.destroy();
      await live.google.close();
      await dropDatabase(live.t.database);
    }
  });

  it('answers a request that arrives on a kept-alive connection during the drain, then closes it', async () => {
    const live = await startLiveApp({ env: { ARGON2_MAX_CONCURRENCY: '1' } });
    const server = live.t.app.getHttpServer();
    server.keepAliveTimeout = 120_000;
    const account = newAccount();
    await register(live.t.http, account);
    const scheduler = live.t.app.get(HashScheduler);
    let release!: () => void;
    const occupied = scheduler.run('test:occupied', () => new Promise<void>((r) => (release = r)));
    const socket = connect(Number(new URL(live.url).port), '127.0.0.1');
    try {
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      const ended = new Promise((resolve) => socket.once('close', resolve));
      await new Promise((resolve) => socket.once('connect', resolve));
      // A sign-in, waiting for argon2 when the app begins to stop …
      const body = JSON.stringify({ login: account.email, password: GOOD_PASSWORD });
      socket.write(
        `POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await waitFor(() => scheduler.waiting === 1);
      const closing = live.t.app.close();
      await waitFor(() => !server.listening);
      // … and a second request on the same connection, sent during the drain.
      socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await occupied;
      await ended;
      await closing;
      const answers = received.split(/(?=HTTP\/1\.1 )/);
      expect(answers.map((answer) => answer.slice(0, 12))).toEqual([
        'HTTP/1.1 200',
        'HTTP/1.1 503',
      ]);
      expect(answers[0]).toContain('"user":');
      // Answered, saying the instance is stopping, and then the connection closes.
      expect(answers[1]).toContain('"status":"shutting_down"');
      expect(answers[1]).toMatch(/^Connection: close\r$/im);
    } finally {
      release?.();
      socket.destroy();
      await live.google.close();
      await dropDatabase(live.t.database);
    }
  });

  it('cuts off a request still unfinished after SHUTDOWN_GRACE_SECONDS', async () => {
    const live = await startLiveApp({ env: { SHUTDOWN_GRACE_SECONDS: '1' } });
    const port = Number(new URL(live.url).port);
    try {
      // A body that never arrives in full: the request stays under way.
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const socketClosed = new Promise((resolve) => socket.once('close', resolve));
      socket.on('error', () => undefined);
      socket.write(
        'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"login":',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));

      const started = Date.now();
      await live.t.app.close();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(10_000);
      await socketClosed;
    } finally {
      await live.google.close();
      await dropDatabase(live.t.database);
    }
  });
});

describe('graceful shutdown: the mail relay', () => {
  let mail: MailServer;
  beforeAll(async () => {
    mail = await MailServer.start();
  });
  afterAll(() => mail.close());

  const outboxOf = (t: TestApp) => t.db.collection('mail_outbox');

  it('finishes the delivery under way before it stops', async () => {
    const database = newDatabaseName();
    const env = { ...mail.env, MAIL_POLL_INTERVAL_MS: '50' };
    const stopping = await createTestApp({ env, database });
    // Another instance on the same outbox, to look at it once the first has gone.
    const other = await createTestApp({
      env: { ...env, MAIL_POLL_INTERVAL_MS: '600000' },
      database,
    });
    try {
      mail.hold();
      const { account } = await register(stopping.http);
      await waitFor(() => mail.heldCount === 1);

      const closing = stopping.app.close();
      expect(await isPending(closing)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await isPending(closing)).toBe(true);

      mail.releaseHeld();
      await closing;
      expect(mail.to(account.email)).toHaveLength(1);
      const record = await outboxOf(other).findOne({ to: account.email });
      expect(record).toMatchObject({ state: 'sent', attempts: 1 });
      expect(record).not.toHaveProperty('claimedBy');
    } finally {
      mail.releaseHeld();
      await other.close();
    }
  });

  it('hands back a message whose delivery outlasts SHUTDOWN_GRACE_SECONDS, and another instance delivers it at once', async () => {
    const database = newDatabaseName();
    const env = { ...mail.env, MAIL_POLL_INTERVAL_MS: '50', SHUTDOWN_GRACE_SECONDS: '1' };
    const stopping = await createTestApp({ env, database });
    let other: TestApp | undefined;
    try {
      mail.hold();
      const { account } = await register(stopping.http);
      await waitFor(() => mail.heldCount === 1);
      const claimed = await outboxOf(stopping).findOne({ to: account.email });
      expect(claimed?.claimedBy).toEqual(expect.any(String));

      await stopping.app.close();
      // Still unanswered, and no longer claimed: due now, for any instance.
      expect(mail.heldCount).toBe(1);
      other = await createTestApp({ env, database });
      const released = await outboxOf(other).findOne({ to: account.email });
      expect(released).toMatchObject({ state: 'pending' });
      expect(released?.claimedBy === undefined || released.claimedBy !== claimed?.claimedBy).toBe(
        true,
      );
      // The stopped instance's attempt fails after all; the other instance delivers it.
      mail.releaseHeld({ accept: false });
      const delivered = await mail.next(account.email);
      expect(delivered.subject).toContain('Confirm your email address');
      await waitFor(
        async () => (await outboxOf(other!).findOne({ to: account.email }))?.state === 'sent',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(mail.to(account.email)).toHaveLength(1);
    } finally {
      mail.releaseHeld();
      if (other) await other.close();
      else await dropDatabase(database);
    }
  });
});
