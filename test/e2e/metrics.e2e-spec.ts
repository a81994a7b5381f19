import { Types } from 'mongoose';
import request from 'supertest';
import type { App } from 'supertest/types';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { newIdentity, SocialWorld, startSocialWorld } from '../support/social';
import { createTestApp, TestApp } from '../support/test-app';

const TOKEN = 'metrics-token-of-at-least-32-characters';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`Not a sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]),
      );
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The value of the one sample with that name and (at least) those labels; 0 when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}`);
  return found[0]?.value ?? 0;
}

async function scrape(http: App, token?: string): Promise<Sample[]> {
  const call = request(http).get('/metrics');
  if (token) call.set('Authorization', `Bearer ${token}`);
  const response = await call.expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(response.text);
}

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  const metrics = () => scrape(t.http, TOKEN);

  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => t.close());

  it('refuses a scrape without the token, or with a wrong one, with 401', async () => {
    const none = await request(t.http).get('/metrics').expect(401);
    expect(none.body.error.code).toBe('UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    await request(t.http).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
    await request(t.http).get('/metrics').set('Authorization', TOKEN).expect(401);
    await request(t.http).get('/metrics').set('Authorization', `Basic ${TOKEN}`).expect(401);
  });

  it('answers with the token, including the process metrics', async () => {
    const samples = await metrics();
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('times a request by method, route pattern and status', async () => {
    await request(t.http).get('/me').expect(401);
    const samples = await metrics();
    const labels = { method: 'GET', route: '/me', status: '401' };
    expect(valueOf(samples, 'http_request_duration_seconds_count', labels)).toBeGreaterThanOrEqual(
      1,
    );
    expect(valueOf(samples, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
  });

  it('labels a route with parameters by its pattern, and an unknown path as unmatched', async () => {
    const { cookie } = await register(t.http, newAccount());
    const sessionId = new Types.ObjectId().toHexString();
    await request(t.http).delete(`/me/sessions/${sessionId}`).set('Cookie', cookie).expect(404);
    const secret = 'a0b1c2d3e4f5secret';
    await request(t.http).get(`/no/such/path/${secret}`).expect(404);
    await request(t.http).get('/assets/style.css');

    const samples = await metrics();
    const routes = new Set(
      samples.filter((s) => s.name.startsWith('http_request_')).map((s) => s.labels.route),
    );
    expect(routes).toContain('/me/sessions/:id');
    expect(routes).toContain('unmatched');
    expect(routes).toContain('/assets/*');
    expect(
      valueOf(samples, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: 'unmatched',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    const text = JSON.stringify(samples);
    expect(text).not.toContain(sessionId);
    expect(text).not.toContain(secret);
  });

  it('counts successful and failed password sign-ins', async () => {
    const account = newAccount();
    await register(t.http, account);
    const before = await metrics();
    const count = (samples: Sample[], outcome: string) =>
      valueOf(samples, 'sign_ins_total', { method: 'password', outcome });

    await request(t.http)
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(200);
    await request(t.http)
      .post('/auth/login')
      .send({ login: account.email, password: 'not the right password' })
      .expect(401);
    await request(t.http)
      .post('/auth/login')
      .send({ login: 'nobody_here', password: 'not the right password' })
      .expect(401);

    const after = await metrics();
    expect(count(after, 'success') - count(before, 'success')).toBe(1);
    expect(count(after, 'failure') - count(before, 'failure')).toBe(2);
    expect(count(after, 'refused')).toBe(count(before, 'refused'));
  });

  it('shows the argon2 queue', async () => {
    const samples = await metrics();
    for (const name of ['argon2_queue_depth', 'argon2_in_flight']) {
      const sample = samples.find((s) => s.name === name);
      expect(sample?.value).toBe(0);
    }
  });

  it('counts the messages waiting in the outbox', async () => {
    const outbox = t.db.collection('mail_outbox');
    const before = valueOf(await metrics(), 'mail_outbox_pending');
    // Due in an hour, so that the relay leaves it pending meanwhile.
    const later = new Date(Date.now() + 3600_000);
    await outbox.insertOne({
      to: 'someone@example.test',
      kind: 'test',
      subject: 'Waiting',
      text: 'Waiting',
      state: 'pending',
      createdAt: new Date(),
      nextAttemptAt: later,
      attempts: 0,
    });
    const pending = await outbox.countDocuments({ state: 'pending' });
    const after = valueOf(await metrics(), 'mail_outbox_pending');
    expect(after).toBe(pending);
    expect(after).toBeGreaterThan(before);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let world: SocialWorld;

  beforeAll(async () => {
    world = await startSocialWorld();
  });
  afterAll(() => world.close());

  it('is open to a scraper without a session', async () => {
    await scrape(world.t.http);
  });

  it('counts a social sign-in by its provider key', async () => {
    const count = (samples: Sample[]) =>
      valueOf(samples, 'sign_ins_total', { method: 'github', outcome: 'success' });
    const before = count(await scrape(world.t.http));
    const first = await world.browser().signIn(world.provider('github'), newIdentity());
    expect(first.body.action).toBe('registered');
    expect(count(await scrape(world.t.http))).toBe(before + 1);
  });

  it('is not in the OpenAPI document', async () => {
    const doc = await request(world.t.http).get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths as object)).not.toContain('/metrics');
  });
});

describe('GET /metrics with the OpenID Connect provider', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        OIDC_CLIENTS: JSON.stringify([
          { client_id: 'spa', redirect_uris: ['http://spa.example.test/callback'] },
        ]),
      },
    });
  });
  afterAll(() => t.close());

  it("labels the provider's endpoints by their fixed paths, never a sign-in's uid", async () => {
    await request(t.http).get('/.well-known/openid-configuration').expect(200);
    const uid = 'uid0123456789secret';
    await request(t.http).get(`/oauth2/authorize/${uid}`);

    const samples = await scrape(t.http);
    const routes = samples
      .filter((s) => s.name === 'http_request_duration_seconds_count')
      .map((s) => `${s.labels.method} ${s.labels.route} ${s.labels.status}`);
    expect(routes).toContain('GET /.well-known/openid-configuration 200');
    expect(routes.some((route) => route.startsWith('GET /oauth2/authorize/:uid '))).toBe(true);
    expect(JSON.stringify(samples)).not.toContain(uid);
  });
});
