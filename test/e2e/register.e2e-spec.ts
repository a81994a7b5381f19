import request from 'supertest';
import { GOOD_PASSWORD, newAccount, register, sessionCookie } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

describe('POST /auth/register', () => {
  let t: TestApp;
  const users = () => t.db.collection('users');

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates the account, signs the person in and shows the user without secrets', async () => {
    const response = await request(t.http)
      .post('/auth/register')
      .send({
        email: '  Grace.Hopper@Example.TEST ',
        password: GOOD_PASSWORD,
        name: 'Grace Hopper',
        username: 'Grace',
      })
      .expect(201);

    expect(response.body).toEqual({
      user: {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        email: 'grace.hopper@example.test',
        emailVerified: false,
        pendingEmail: null,
        username: 'grace',
        name: 'Grace Hopper',
        hasPassword: true,
        providers: [],
        identities: [],
        passkeys: 0,
        role: 'user',
        data: {},
        createdAt: expect.any(String),
      },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/argon2|passwordHash/);

    const cookie = response.headers['set-cookie'] as unknown as string[];
    expect(cookie[0]).toMatch(/^sid=[\w-]{43}; /);
    expect(cookie[0]).toMatch(/HttpOnly/);
    expect(cookie[0]).toMatch(/SameSite=Lax/);
    expect(cookie[0]).not.toMatch(/Secure/);

    const me = await request(t.http).get('/me').set('Cookie', sessionCookie(response)).expect(200);
    expect(me.body.user.email).toBe('grace.hopper@example.test');

    const stored = await users().findOne({ email: 'grace.hopper@example.test' });
    const [, algorithm, , parameters] = String(stored?.passwordHash).split('$');
    expect(algorithm).toBe('argon2id');
    expect(parameters.split(',').sort()).toEqual(['m=19456', 'p=1', 't=2']);
    expect(stored?.identities).toEqual([]);
  });

  it('generates a username from the email, made unique', async () => {
    const first = await register(t.http, newAccount({ email: 'Ada.Lovelace@example.test' }));
    const second = await register(t.http, newAccount({ email: 'ada.lovelace@other.test' }));
    expect(first.user.username).toBe('ada_lovelace');
    expect(second.user.username).toBe('ada_lovelace1');
  });

  it('refuses an email that is already registered, whatever its case, naming the field', async () => {
    await register(t.http, newAccount({ email: 'taken@example.test' }));
    const response = await request(t.http)
      .post('/auth/register')
      .send(newAccount({ email: 'TAKEN@example.test' }))
      .expect(409);
    expect(response.body.error).toEqual({
      code: 'EMAIL_TAKEN',
      message: expect.any(String),
      field: 'email',
    });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await users().countDocuments({ email: 'taken@example.test' })).toBe(1);
  });

  it('keeps straße and strasse apart: each registers, and each signs in to its own account', async () => {
    const tag = newAccount().email.split('@')[0];
    const sharp = await register(t.http, newAccount({ email: `straße.${tag}@example.test` }));
    const plain = await register(t.http, newAccount({ email: `strasse.${tag}@example.test` }));
    expect(plain.user.id).not.toBe(sharp.user.id);

    const signIn = (login: string) =>
      request(t.http).post('/auth/login').send({ login, password: GOOD_PASSWORD }).expect(200);
    expect((await signIn(`STRASSE.${tag}@example.test`)).body.user.id).toBe(plain.user.id);
    expect((await signIn(`strasse.${tag}@example.test`)).body.user.id).toBe(plain.user.id);
    expect((await signIn(`STRAßE.${tag}@EXAMPLE.test`)).body.user.id).toBe(sharp.user.id);
    expect(await users().countDocuments({ email: `straße.${tag}@example.test` })).toBe(1);
    expect(await users().countDocuments({ email: `strasse.${tag}@example.test` })).toBe(1);
  });

  it('refuses an address with the ligature ﬁ, and never confuses it with fi', async () => {
    const tag = newAccount().email.split('@')[0];
    const { user } = await register(t.http, newAccount({ email: `fi.${tag}@example.test` }));
    const before = await users().countDocuments();
    const ligature = await request(t.http)
      .post('/auth/register')
      .send(newAccount({ email: `ﬁ.${tag}@example.test` }))
      .expect(400);
    expect(ligature.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'email' });
    expect(await users().countDocuments()).toBe(before);
    // Signing in with the ligature finds no account: it is not the fi one's address.
    await request(t.http)
      .post('/auth/login')
      .send({ login: `ﬁ.${tag}@example.test`, password: GOOD_PASSWORD })
      .expect(401);
    const signedIn = await request(t.http)
      .post('/auth/login')
      .send({ login: `fi.${tag}@example.test`, password: GOOD_PASSWORD })
      .expect(200);
    expect(signedIn.body.user.id).toBe(user.id);
  });

  it.each([
    ['a zero-width space', 'ada\u200b'],
    ['a zero-width non-joiner', 'ada\u200c'],
    ['a zero-width joiner', 'ada\u200d'],
    ['a word joiner', 'ada\u2060'],
    ['a byte order mark inside', 'a\ufeffda'],
    ['a soft hyphen', 'a\u00adda'],
    ['a right-to-left override', 'ada\u202e'],
    ['full-width letters', 'ａｄａ'],
    ['a full-width capital', 'Ａda'],
    ['a control character', 'ada\u0007'],
  ])('refuses an address with %s with 400 naming email, writing nothing', async (_case, local) => {
    const before = await users().countDocuments();
    const tag = newAccount().email.split('@')[0];
    const response = await request(t.http)
      .post('/auth/register')
      .send(newAccount({ email: `${local}.${tag}@example.test` }))
      .expect(400);
    expect(response.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: expect.any(String),
      field: 'email',
    });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await users().countDocuments()).toBe(before);
  });

  it('refuses a username that is already taken, whatever its case, naming the field', async () => {
    await register(t.http, newAccount({ username: 'linus' }));
    const response = await request(t.http)
      .post('/auth/register')
      .send(newAccount({ username: 'Linus' }))
      .expect(409);
    expect(response.body.error).toMatchObject({ code: 'USERNAME_TAKEN', field: 'username' });
  });

  it.each([
    ['too short', 'short but ok', 'at least 15 characters'],
    ['in the list of common passwords', '123456789987654321', 'common or breached passwords'],
    ['longer than 128 characters', 'x'.repeat(60) + 'y'.repeat(69), 'at most 128'],
  ])('refuses a password that is %s and says why', async (_case, password, reason) => {
    const account = newAccount({ password });
    const response = await request(t.http).post('/auth/register').send(account).expect(400);
    expect(response.body.error).toMatchObject({ code: 'WEAK_PASSWORD', field: 'password' });
    expect(response.body.error.message).toContain(reason);
    expect(await users().countDocuments({ email: account.email })).toBe(0);
  });

  it('accepts any Unicode in passwords and counts characters, not bytes', async () => {
    // 15 characters, many of them outside the BMP.
    const password = 'пароль🔑密码🔑パスワード';
    expect([...password]).toHaveLength(15);
    const { account } = await register(t.http, newAccount({ password }));
    await request(t.http).post('/auth/login').send({ login: account.email, password }).expect(200);
  });

  it('gives exactly one 201 and nineteen 409 to 20 parallel registrations of one email', async () => {
    const email = 'race@example.test';
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(t.http)
          .post('/auth/register')
          .send({ email, password: GOOD_PASSWORD, name: `Racer ${i}` }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    expect(await users().countDocuments({ email })).toBe(1);
  });
});

describe('POST /auth/register with PASSWORD_MIN_LENGTH lowered', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PASSWORD_MIN_LENGTH: '8' } });
  });
  afterAll(() => t.close());

  it('accepts an 8-character password that is not a common one', async () => {
    await register(t.http, newAccount({ password: 'gq7#Lm2v' }));
  });

  it.each(['password1', 'IloveYou', 'QWERTYUIOP', 'smokey24'])(
    'still refuses %s, from the list of common or breached passwords, registering nobody',
    async (password) => {
      const account = newAccount({ password });
      const response = await request(t.http).post('/auth/register').send(account).expect(400);
      expect(response.body.error).toEqual({
        code: 'WEAK_PASSWORD',
        message:
          'This password is in a list of common or breached passwords, so it is easy to guess. Please choose another.',
        field: 'password',
      });
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(await t.db.collection('users').countDocuments({ email: account.email })).toBe(0);
    },
  );
});

describe('POST /auth/register: a password must not contain the email or username', () => {
  let t: TestApp;
  const users = () => t.db.collection('users');
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    [
      'the email address, in another case',
      { email: 'ada.lovelace@example.test', password: 'Ada.Lovelace@Example.test forever' },
      'Your password must not contain your email address.',
    ],
    [
      'the part of the email before the @',
      { email: 'ada.lovelace@example.test', password: 'engines by ADA.LOVELACE 1843' },
      'Your password must not contain the part of your email address before the @.',
    ],
    [
      'the chosen username',
      { email: 'ada@example.test', username: 'countess', password: 'the Countess of Lovelace' },
      'Your password must not contain your username.',
    ],
    [
      'the username made from the email when none is chosen',
      { email: 'ada.lovelace@example.test', password: 'analytical ada_lovelace engine' },
      'Your password must not contain your username.',
    ],
  ])('refuses a password containing %s, says so and registers nobody', async (_, body, message) => {
    const response = await request(t.http).post('/auth/register').send(body).expect(400);
    expect(response.body.error).toEqual({ code: 'WEAK_PASSWORD', message, field: 'password' });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await users().countDocuments({ email: body.email })).toBe(0);
    expect(await users().countDocuments({ username: { $in: ['countess', 'ada_lovelace'] } })).toBe(
      0,
    );
  });

  it('registers the same person with a password that contains neither', async () => {
    const { user } = await register(
      t.http,
      newAccount({ email: 'ada.lovelace@example.test', username: 'countess' }),
    );
    expect(user.username).toBe('countess');
  });
});
