import request from 'supertest';
import { HashScheduler } from '../../src/auth/hash-scheduler';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

const WRONG = 'a wrong guess of a password';

/** Waits (without a clock) until `condition` holds, checking between turns of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
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
    const flood = Array.from({ length: FLOOD }, () =>
      request(t.http)
        .put('/me/password')
        .set('Cookie', flooded.cookie)
        .send({ currentPassword: WRONG, newPassword: 'whatever new passphrase' })
        .then((response) => {
          finished.push(`flood ${response.status}`);
        }),
    );
    // Most of the flood is queued before the bystander signs in.
    await until(() => scheduler.waiting >= FLOOD / 2);
    const doneBefore = finished.length;

    await request(t.http)
      .post('/auth/login')
      .send({ login: bystander.email, password: GOOD_PASSWORD })
      .expect(200);
    const doneMeanwhile = finished.length - doneBefore;
    await Promise.all(flood);

    // In arrival order the sign-in would wait for every queued check; in turns, for one or two.
    expect(doneMeanwhile).toBeLessThan((FLOOD - doneBefore) / 2);
    expect(finished).toEqual(Array(FLOOD).fill('flood 401'));
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

  /** Takes the only slot until the returned function is called. */
  function occupyTheOnlySlot(): () => Promise<void> {
    let release!: () => void;
    const held = t.app
      .get(HashScheduler)
      .run('test:occupied', () => new Promise<void>((resolve) => (release = resolve)));
    return () => {
      release();
      return held;
    };
  }

  it('answers 503 BUSY with Retry-After, and the same request succeeds once there is room', async () => {
    const account = newAccount();
    const { cookie } = await register(t.http, account);
    const release = occupyTheOnlySlot();
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
    const release = occupyTheOnlySlot();
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
