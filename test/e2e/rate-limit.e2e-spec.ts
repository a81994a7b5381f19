import request from 'supertest';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

describe('sign-in rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The tests reach the app from 127.0.0.1, standing in for the reverse proxy.
    t = await createTestApp({ env: { SIGN_IN_RATE_LIMIT: '3', TRUST_PROXY: 'loopback' } });
  });
  afterAll(() => t.close());

  const attempt = (ip: string, password: string) =>
    request(t.http)
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ login: 'limited_person', password });

  it('refuses a client past SIGN_IN_RATE_LIMIT attempts a minute with 429, even with the right password', async () => {
    await register(t.http, newAccount({ username: 'limited_person' }));
    for (let i = 0; i < 3; i++)
      await attempt('203.0.113.7', 'a wrong guess of a password').expect(401);

    const blocked = await attempt('203.0.113.7', GOOD_PASSWORD).expect(429);
    expect(blocked.body.error.code).toBe('TOO_MANY_REQUESTS');
    expect(blocked.body.error.message).toContain('Please wait a minute');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['set-cookie']).toBeUndefined();

    // Another client is not affected.
    await attempt('198.51.100.9', GOOD_PASSWORD).expect(200);
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
