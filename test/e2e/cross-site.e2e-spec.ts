import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

describe('cross-site request refusal', () => {
  let t: TestApp;
  const PUBLIC_URL = 'https://accounts.example.test';
  const PARTNER = 'https://app.partner.test';

  beforeAll(async () => {
    t = await createTestApp({
      env: { PUBLIC_URL, ALLOWED_ORIGINS: `${PARTNER}, https://other.partner.test` },
    });
  });
  afterAll(() => t.close());

  const stored = (id: string) => t.db.collection('users').findOne({ _id: new Types.ObjectId(id) });

  it.each([
    ['an Origin of another site', { Origin: 'https://evil.test' }],
    ['a null Origin', { Origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    [
      'a trusted Origin but Sec-Fetch-Site: cross-site',
      { Origin: PUBLIC_URL, 'Sec-Fetch-Site': 'cross-site' },
    ],
  ])('refuses a settings change carrying %s with 403, changing nothing', async (_case, headers) => {
    const { cookie, user } = await register(t.http);
    const response = await request(t.http)
      .patch('/me')
      .set('Cookie', cookie)
      .set(headers)
      .send({ name: 'Hijacked' })
      .expect(403);
    expect(response.body.error.code).toBe('CROSS_SITE_REQUEST');
    expect((await stored(user.id))?.name).toBeUndefined();
  });

  it('refuses a cross-site account deletion and keeps the account', async () => {
    const { cookie, user } = await register(t.http);
    await request(t.http)
      .delete('/me')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.test')
      .send({ password: GOOD_PASSWORD })
      .expect(403);
    expect(await stored(user.id)).not.toBeNull();
  });

  it('refuses a cross-site password change', async () => {
    const { cookie } = await register(t.http);
    await request(t.http)
      .put('/me/password')
      .set('Cookie', cookie)
      .set('Sec-Fetch-Site', 'cross-site')
      .send({ currentPassword: GOOD_PASSWORD, newPassword: 'attacker chosen passphrase' })
      .expect(403);
  });

  it('refuses a cross-site sign-in, so a hostile page cannot sign a visitor into its account', async () => {
    const { account } = await register(t.http);
    await request(t.http)
      .post('/auth/login')
      .set('Origin', 'https://evil.test')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(403);
  });

  it.each([
    ['its own origin', { Origin: PUBLIC_URL, 'Sec-Fetch-Site': 'same-origin' }],
    ['an allowed origin', { Origin: PARTNER, 'Sec-Fetch-Site': 'same-site' }],
    ['neither header (not a browser)', {}],
  ])('serves requests from %s', async (_case, headers) => {
    const { cookie, user } = await register(t.http);
    await request(t.http)
      .patch('/me')
      .set('Cookie', cookie)
      .set(headers)
      .send({ name: 'Trusted' })
      .expect(200);
    expect((await stored(user.id))?.name).toBe('Trusted');
  });

  it('lets cross-site reads through (they change nothing and the cookie is SameSite=Lax)', async () => {
    const { cookie } = await register(t.http, newAccount());
    await request(t.http)
      .get('/me')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.test')
      .expect(200);
  });
});
