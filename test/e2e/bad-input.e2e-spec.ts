import request from 'supertest';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

/** Whatever a client sends, it gets a 4xx JSON error and nothing is written. */
describe('bad input', () => {
  let t: TestApp;
  let cookie: string;

  beforeAll(async () => {
    t = await createTestApp();
    ({ cookie } = await register(t.http, newAccount({ username: 'bad_input_owner' })));
  });
  afterAll(() => t.close());

  const snapshot = async () => ({
    users: await t.db.collection('users').find().sort({ _id: 1 }).toArray(),
    sessions: await t.db.collection('sessions').countDocuments(),
  });

  const routes: Array<['post' | 'patch' | 'put' | 'delete', string]> = [
    ['post', '/auth/register'],
    ['post', '/auth/login'],
    ['patch', '/me'],
    ['put', '/me/password'],
    ['delete', '/me'],
  ];

  it.each(routes)('%s %s: malformed JSON gets 400 MALFORMED_JSON', async (method, path) => {
    const before = await snapshot();
    const response = await request(t.http)
      [method](path)
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.test", ');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('MALFORMED_JSON');
    expect(await snapshot()).toEqual(before);
  });

  it.each(routes)('%s %s: a body over 100 kB gets 413', async (method, path) => {
    const before = await snapshot();
    const response = await request(t.http)
      [method](path)
      .set('Cookie', cookie)
      .send({ email: 'big@example.test', password: GOOD_PASSWORD, name: 'x'.repeat(110_000) });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await snapshot()).toEqual(before);
  });

  const weirdBodies: unknown[] = [
    [],
    [{ email: 'a@b.test' }],
    'just a string',
    42,
    null,
    { email: { $gt: '' }, password: { $gt: '' } },
    { login: { $regex: '.*' }, password: GOOD_PASSWORD },
    { username: { $ne: null } },
    { name: ['array'], email: 12 },
    { $where: 'sleep(1000)' },
    { 'providers.google': 'x' },
    { constructor: { prototype: { role: 'admin' } } },
    { currentPassword: 1, newPassword: true },
    { password: 'x'.repeat(2000) },
    { email: 'a@b.test', password: GOOD_PASSWORD, role: 'admin' },
    { name: 'bell\u0007' },
  ];

  // Written as raw JSON: in an object literal __proto__ would set the prototype instead of a key.
  const pollutingBody = `{"__proto__": {"role": "admin"}, "email": "proto@example.test", "password": "${GOOD_PASSWORD}"}`;

  it.each(routes)(
    '%s %s: wrong types, operators and unknown fields get a 4xx JSON error',
    async (method, path) => {
      const unexpected = [];
      for (const body of [...weirdBodies.map((b) => JSON.stringify(b)), pollutingBody]) {
        const before = await snapshot();
        const response = await request(t.http)
          [method](path)
          .set('Cookie', cookie)
          .set('Content-Type', 'application/json')
          .send(body);
        const clientError = response.status >= 400 && response.status < 500;
        const jsonError =
          typeof response.body?.error?.code === 'string' &&
          typeof response.body.error.message === 'string';
        const unchanged = JSON.stringify(await snapshot()) === JSON.stringify(before);
        if (!clientError || !jsonError || !unchanged)
          unexpected.push({ body, status: response.status, unchanged });
      }
      expect(unexpected).toEqual([]);
    },
  );

  it('names the field in a wrong-type error', async () => {
    const response = await request(t.http)
      .post('/auth/register')
      .send({ email: 'typed@example.test', password: 123456789012345 })
      .expect(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'password' });
  });

  it('names an unknown field', async () => {
    const response = await request(t.http)
      .post('/auth/register')
      .send({ ...newAccount(), isAdmin: true })
      .expect(400);
    expect(response.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Unknown field "isAdmin".',
      field: 'isAdmin',
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await request(t.http).get('/no/such/route').expect(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });
});
