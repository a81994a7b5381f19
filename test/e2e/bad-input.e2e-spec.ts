import { gzipSync } from 'node:zlib';
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

  /** `[[[…]]]` or `{"a":{"a":…}}`, `depth` levels deep, as raw JSON. */
  const nested = (depth: number, kind: 'array' | 'object') =>
    kind === 'array'
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  const tooDeep: Array<[string, string]> = [
    ['[[[…]]] 2,000 levels deep', nested(2_000, 'array')],
    ['{"a":{"a":…}} 2,000 levels deep', nested(2_000, 'object')],
    ['[[[…]]] 50,000 levels deep', nested(50_000, 'array')],
    ['{"a":{"a":…}} 33 levels deep', nested(33, 'object')],
    ['a password of [[[…]]] 2,000 levels deep', `{"password":${nested(2_000, 'array')}}`],
    ['a login of [[[…]]] 2,000 levels deep', `{"login":${nested(2_000, 'array')}}`],
  ];

  it.each(tooDeep)('refuses a body of %s with 400 on every route', async (_case, body) => {
    for (const [method, path] of routes) {
      const before = await snapshot();
      const response = await request(t.http)
        [method](path)
        .set('Cookie', cookie)
        .set('Content-Type', 'application/json')
        .send(body);
      expect({ path, status: response.status, error: response.body.error }).toEqual({
        path,
        status: 400,
        error: {
          code: 'VALIDATION_FAILED',
          message: 'The request body is nested too deeply (at most 32 levels).',
        },
      });
      expect(await snapshot()).toEqual(before);
    }
  });

  it('reads a body nested 32 levels deep as usual (refused only as an unknown field)', async () => {
    const response = await request(t.http)
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send(nested(32, 'object'))
      .expect(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'a' });
  });

  const registration = () => JSON.stringify(newAccount());
  const gzipBodies: Array<[string, () => Buffer]> = [
    ['random bytes', () => Buffer.from('not gzip at all, just bytes \x00\x01\xff', 'latin1')],
    ['a gzip header and garbage', () => Buffer.from('1f8b0800000000000003deadbeefdeadbeef', 'hex')],
    ['truncated gzip', () => gzipSync(registration()).subarray(0, 20)],
  ];

  /** POSTs bytes as they are (superagent would otherwise write a Buffer out as JSON). */
  const postGzip = (body: Buffer) =>
    request(t.http)
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(body);

  it.each(gzipBodies)(
    'refuses a Content-Encoding: gzip body of %s with 400, writing nothing',
    async (_case, body) => {
      const before = await snapshot();
      const response = await postGzip(body());
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({
        code: 'VALIDATION_FAILED',
        message: 'The request body could not be read.',
      });
      expect(await snapshot()).toEqual(before);
    },
  );

  it('still reads a well-formed gzip body', async () => {
    await postGzip(gzipSync(registration())).expect(201);
  });

  // A lone surrogate cannot be stored or hashed faithfully (UTF-8 turns it into U+FFFD).
  const LONE = '\ud800';
  const surrogateCases: Array<
    [string, string, 'post' | 'patch' | 'put' | 'delete', string, object]
  > = [
    [
      'email',
      'email',
      'post',
      '/auth/register',
      { ...newAccount(), email: `a${LONE}@example.test` },
    ],
    [
      'password',
      'password',
      'post',
      '/auth/register',
      { ...newAccount(), password: `${GOOD_PASSWORD}${LONE}` },
    ],
    ['name', 'name', 'post', '/auth/register', { ...newAccount(), name: `Ada ${LONE}` }],
    [
      'username',
      'username',
      'post',
      '/auth/register',
      { ...newAccount(), username: `ada${LONE}x` },
    ],
    ['login', 'login', 'post', '/auth/login', { login: `ada${LONE}`, password: GOOD_PASSWORD }],
    [
      'login password',
      'password',
      'post',
      '/auth/login',
      { login: 'bad_input_owner', password: `\udfff${GOOD_PASSWORD}` },
    ],
    ['profile name', 'name', 'patch', '/me', { name: `Ada ${LONE}` }],
    ['profile email', 'email', 'patch', '/me', { email: `b${LONE}@example.test` }],
    [
      'current password',
      'currentPassword',
      'put',
      '/me/password',
      { currentPassword: `${GOOD_PASSWORD}${LONE}`, newPassword: 'another long passphrase' },
    ],
    [
      'new password',
      'newPassword',
      'put',
      '/me/password',
      { currentPassword: GOOD_PASSWORD, newPassword: `another long passphrase ${LONE}` },
    ],
    ['deletion password', 'password', 'delete', '/me', { password: `${GOOD_PASSWORD}${LONE}` }],
    [
      'reset password',
      'newPassword',
      'post',
      '/auth/password/reset',
      { token: 'a'.repeat(43), newPassword: `another long passphrase ${LONE}` },
    ],
  ];

  it.each(surrogateCases)(
    'refuses a lone surrogate in %s with 400 naming the field, writing nothing',
    async (_case, field, method, path, body) => {
      const before = await snapshot();
      // JSON.stringify writes lone surrogates as \ud800 escapes, as a hostile client would.
      const response = await request(t.http)
        [method](path)
        .set('Cookie', cookie)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({
        code: 'VALIDATION_FAILED',
        message: `${field} is not well-formed Unicode text.`,
        field,
      });
      expect(await snapshot()).toEqual(before);
    },
  );

  // Bytes that are not UTF-8 in a body declared UTF-8 would be read as U+FFFD: two different
  // passwords (…\xed\xa0\x80 and …\xed\xa0\x81, surrogates encoded as CESU-8) would be one.
  const rawJson = (method: 'post' | 'put', path: string, ...parts: Array<string | Buffer>) =>
    request(t.http)
      [method](path)
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(Buffer.concat(parts.map((part) => Buffer.from(part))));
  const notUtf8: Array<[string, Buffer]> = [
    ['a surrogate encoded in three bytes (CESU-8)', Buffer.from([0xed, 0xa0, 0x80])],
    ['a stray continuation byte', Buffer.from([0x80])],
    ['a truncated sequence', Buffer.from([0xe2, 0x82])],
  ];
  it.each(notUtf8)(
    'refuses a password with %s at registration, sign-in and change, naming it, writing nothing',
    async (_case, bytes) => {
      const before = await snapshot();
      const { email } = newAccount();
      const answers = [
        await rawJson(
          'post',
          '/auth/register',
          `{"email":"${email}","password":"${GOOD_PASSWORD}`,
          bytes,
          '"}',
        ),
        await rawJson(
          'post',
          '/auth/login',
          `{"login":"bad_input_owner","password":"${GOOD_PASSWORD}`,
          bytes,
          '"}',
        ),
        await rawJson(
          'put',
          '/me/password',
          `{"currentPassword":"${GOOD_PASSWORD}","newPassword":"another long passphrase `,
          bytes,
          '"}',
        ),
      ];
      for (const [response, field] of [
        [answers[0], 'password'],
        [answers[1], 'password'],
        [answers[2], 'newPassword'],
      ] as const) {
        expect(response.status).toBe(400);
        expect(response.body.error).toEqual({
          code: 'VALIDATION_FAILED',
          message: `${field} is not well-formed Unicode text.`,
          field,
        });
      }
      expect(await snapshot()).toEqual(before);
    },
  );

  it('still reads U+FFFD itself, sent as UTF-8', async () => {
    const password = `${GOOD_PASSWORD} \ufffd`;
    const { account } = await register(t.http, newAccount({ password }));
    await request(t.http).post('/auth/login').send({ login: account.email, password }).expect(200);
  });

  it('refuses a lone surrogate in a field name, naming it as well as it can be written', async () => {
    const response = await request(t.http)
      .patch('/me')
      .set('Cookie', cookie)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'Ada', [`x${LONE}`]: 'value' }));
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'Field name "x\ufffd" is not well-formed Unicode text.',
      field: 'x\ufffd',
    });
  });

  it('refuses a lone surrogate nested in a field, naming its path', async () => {
    const response = await request(t.http)
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ ...newAccount(), name: ['fine', `not ${LONE}`] }));
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'name.1' });
  });

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
