import request from 'supertest';
import { HashScheduler } from '../../src/sign-in/limits/hash-scheduler';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const WRONG = 'a wrong guess of a password';

/** Takes the app's only argon2 slot until the returned function is called. */
function occupyTheOnlySlot(t: TestApp): () => Promise<void> {
  let release!: () => void;
  const held = t.app
    .get(HashScheduler)
    .run('test:occupied', () => new Promise<void>((resolve) => (release = resolve)));
  return () => {
    release();
    return held;
  };
}

describe('argon2 work is queued fairly between accounts', () => {
  let t: TestApp;
  beforeAll(async () => {
    // One computation at a time makes the queue order the completion order.
    t = await createTestApp({ env: { ARGON2_MAX_CONCURRENCY: '1' } });
  });
  afterAll(() => t.close());

  it('signs in another account before most of a flood of wrong password changes on one account', async () => {
    const FLOOD = 32;
    const flooded = await register(t.http);
    const bystander = newAccount();
    await register(t.http, bystander);
    const scheduler = t.app.get(HashScheduler);

    const finished: string[] = [];
    // The keys of the checks in the order the scheduler starts them: the queue's order, whatever
    // a busy machine then does with the answers (the sign-in's writes after its check may take
    // longer than several of the flood's checks).
    const started: string[] = [];
    const run = scheduler.run.bind(scheduler);
    const recordStarts = jest.spyOn(scheduler, 'run').mockImplementation((key, job, signal) =>
      run(
        key,
        () => {
          started.push(key);
          return job();
        },
        signal,
      ),
    );
    // The slot is held while the flood and then the sign-in arrive, so all of them are queued
    // however slowly a busy machine serves them: the order of the queue, not the speed of the
    // machine, decides what follows.
    const release = occupyTheOnlySlot(t);
    let flood: Promise<void>[] = [];
    let signIn: Promise<number> | undefined;
    try {
      flood = Array.from({ length: FLOOD }, () =>
        request(t.http)
          .put('/me/password')
          .set('Cookie', flooded.cookie)
          .send({ currentPassword: WRONG, newPassword: 'whatever new passphrase' })
          .then((response) => {
            finished.push(`flood ${response.status}`);
          }),
      );
      await waitFor(() => scheduler.waiting === FLOOD, { what: 'the flood to be queued' });
      signIn = request(t.http)
        .post('/auth/login')
        .send({ login: bystander.email, password: GOOD_PASSWORD })
        .then((response) => response.status);
      await waitFor(() => scheduler.waiting === FLOOD + 1, { what: 'the sign-in to be queued' });
    } finally {
      await release();
    }

    expect(await signIn).toBe(200);
    await Promise.all(flood);
    recordStarts.mockRestore();
    expect(finished).toEqual(Array(FLOOD).fill('flood 401'));

    // In arrival order the sign-in would wait for every queued check; in turns, for one or two.
    const checks = started.filter((key) => key !== 'test:occupied');
    expect(checks).toHaveLength(FLOOD + 1);
    const floodKey = checks.find((key) => checks.filter((other) => other === key).length === FLOOD);
    expect(floodKey).toBeDefined();
    expect(checks.findIndex((key) => key !== floodKey)).toBeLessThanOrEqual(2);
  });
});

describe('a password check that waits too long', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { ARGON2_MAX_CONCURRENCY: '1', ARGON2_QUEUE_TIMEOUT_SECONDS: '1' },
    });
  });
  afterAll(() => t.close());

  it('answers 503 BUSY with Retry-After, and the same request succeeds once there is room', async () => {
    const account = newAccount();
    const { cookie } = await register(t.http, account);
    const release = occupyTheOnlySlot(t);
    try {
      const busy = await request(t.http)
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(503);
      expect(busy.body).toEqual({
        error: { code: 'BUSY', message: 'The service is busy; try again in a moment.' },
      });
      expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
      expect(busy.headers['set-cookie']).toBeUndefined();

      const change = await request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a whole new passphrase here' })
        .expect(503);
      expect(change.body.error.code).toBe('BUSY');
      expect(Number(change.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await release();
    }
    await request(t.http)
      .post('/auth/login')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(200);
  });

  it('shows the sign-in page’s visitors an error page with Retry-After', async () => {
    const account = newAccount();
    await register(t.http, account);
    const agent = request.agent(t.http);
    const page = await agent.get('/login').set('Accept', 'text/html').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const release = occupyTheOnlySlot(t);
    try {
      const busy = await agent
        .post('/login')
        .set('Accept', 'text/html')
        .type('form')
        .send({ _csrf: token, login: account.email, password: GOOD_PASSWORD })
        .expect(503);
      expect(busy.headers['content-type']).toMatch(/text\/html/);
      expect(busy.text).toContain('The service is busy; try again in a moment.');
      expect(Number(busy.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await release();
    }
  });
});
