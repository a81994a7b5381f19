import request from 'supertest';
import { newAccount } from '../support/accounts';
import { newIdentity, startSocialWorld } from '../support/social';
import { createTestApp, TestApp } from '../support/test-app';

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
