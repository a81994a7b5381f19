import request from 'supertest';
import { GOOD_PASSWORD, newAccount, sessionCookie } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

/** One field of every type; a required text and a required select. */
const FIELDS = [
  { key: 'company', label: 'Company', type: 'text', required: true, maxLength: 40 },
  { key: 'age', label: 'Age', type: 'integer', min: 0, max: 150 },
  { key: 'height', label: 'Height in metres', type: 'number', min: 0.5, max: 2.5 },
  { key: 'newsletter', label: 'Send me the newsletter', type: 'boolean' },
  { key: 'birthday', label: 'Birthday', type: 'date', min: '1900-01-01', max: '2020-12-31' },
  { key: 'workEmail', label: 'Work email', type: 'email' },
  { key: 'website', label: 'Website', type: 'url' },
  { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'], required: true },
];

const REQUIRED_DATA = { company: 'Analytical Engines', plan: 'free' };

describe('profile fields', () => {
  let t: TestApp;
  const users = () => t.db.collection('users');

  beforeAll(async () => {
    t = await createTestApp({ env: { PROFILE_FIELDS: JSON.stringify(FIELDS) } });
  });
  afterAll(() => t.close());

  /** Registers with the required values (and `data` on top); returns the cookie and the user. */
  async function registerWith(data: Record<string, unknown> = {}) {
    const account = newAccount();
    const response = await request(t.http)
      .post('/auth/register')
      .send({ ...account, data: { ...REQUIRED_DATA, ...data } })
      .expect(201);
    return { cookie: sessionCookie(response), user: response.body.user, account };
  }

  /** POSTs raw JSON, so that keys such as __proto__ and numbers such as 1e400 arrive as written. */
  const postRaw = (path: string, json: string) =>
    request(t.http).post(path).set('Content-Type', 'application/json').send(json);

  describe('GET /profile-fields', () => {
    it('lists the definitions in their order, with defaults filled in, without a session', async () => {
      const response = await request(t.http).get('/profile-fields').expect(200);
      expect(response.body).toEqual([
        { key: 'company', label: 'Company', type: 'text', required: true, maxLength: 40 },
        { key: 'age', label: 'Age', type: 'integer', required: false, min: 0, max: 150 },
        {
          key: 'height',
          label: 'Height in metres',
          type: 'number',
          required: false,
          min: 0.5,
          max: 2.5,
        },
        { key: 'newsletter', label: 'Send me the newsletter', type: 'boolean', required: false },
        {
          key: 'birthday',
          label: 'Birthday',
          type: 'date',
          required: false,
          min: '1900-01-01',
          max: '2020-12-31',
        },
        { key: 'workEmail', label: 'Work email', type: 'email', required: false, maxLength: 254 },
        { key: 'website', label: 'Website', type: 'url', required: false, maxLength: 1000 },
        { key: 'plan', label: 'Plan', type: 'select', required: true, options: ['free', 'pro'] },
      ]);
    });
  });

  describe('POST /auth/register', () => {
    it('stores the values normalised by type and shows them in the user', async () => {
      const { cookie, user, account } = await registerWith({
        company: '  Analytical Engines  ',
        age: 36,
        height: 1.65,
        newsletter: false,
        birthday: '1990-12-10',
        workEmail: ' Ada@Engines.TEST ',
        website: 'https://engines.test/ada',
        plan: 'pro',
      });
      const data = {
        company: 'Analytical Engines',
        age: 36,
        height: 1.65,
        newsletter: false,
        birthday: '1990-12-10',
        workEmail: 'ada@engines.test',
        website: 'https://engines.test/ada',
        plan: 'pro',
      };
      expect(user.data).toEqual(data);
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.data).toEqual(data);
      const stored = await users().findOne({ email: account.email });
      expect(stored?.data).toEqual(data);
      expect(typeof stored?.data.age).toBe('number');
    });

    it('keeps only the values given: optional fields may be left out or null', async () => {
      const { user } = await registerWith({ age: null });
      expect(user.data).toEqual(REQUIRED_DATA);
    });

    it.each([
      ['left out', {}, 'data.company is required'],
      ['null', { company: null }, 'data.company is required'],
      ['empty', { company: '   ' }, 'data.company must not be empty (null removes a value)'],
    ])(
      'refuses a required value %s, naming data.<key>, creating nothing',
      async (_, data, message) => {
        const account = newAccount();
        const response = await request(t.http)
          .post('/auth/register')
          .send({ ...account, data: { plan: 'free', ...data } })
          .expect(400);
        expect(response.body.error).toEqual({
          code: 'VALIDATION_FAILED',
          message,
          field: 'data.company',
        });
        expect(response.headers['set-cookie']).toBeUndefined();
        expect(await users().countDocuments({ email: account.email })).toBe(0);
      },
    );

    it('refuses a registration without data when a field is required', async () => {
      const account = newAccount();
      const response = await request(t.http).post('/auth/register').send(account).expect(400);
      expect(response.body.error).toMatchObject({ field: 'data.company' });
      expect(await users().countDocuments({ email: account.email })).toBe(0);
    });

    const badValues: Array<[string, string, string]> = [
      ['a number as a string for an integer', '"age": "42"', 'data.age must be a whole number'],
      ['a fraction for an integer', '"age": 4.5', 'data.age must be a whole number'],
      ['an integer beyond 2^53', '"age": 9007199254740993', 'data.age must be a whole number'],
      ['1e400 (Infinity) for an integer', '"age": 1e400', 'data.age must be a whole number'],
      ['an integer below min', '"age": -1', 'data.age must be at least 0'],
      ['an integer above max', '"age": 151', 'data.age must be at most 150'],
      ['"NaN" for a number', '"height": "NaN"', 'data.height must be a number'],
      ['"1.7" for a number', '"height": "1.7"', 'data.height must be a number'],
      ['-1e400 for a number', '"height": -1e400', 'data.height must be a number'],
      ['a number above max', '"height": 2.51', 'data.height must be at most 2.5'],
      ['"true" for a boolean', '"newsletter": "true"', 'data.newsletter must be true or false'],
      ['1 for a boolean', '"newsletter": 1', 'data.newsletter must be true or false'],
      [
        'a date that does not exist',
        '"birthday": "2019-02-29"',
        'data.birthday must be a date written YYYY-MM-DD',
      ],
      [
        'a date not written YYYY-MM-DD',
        '"birthday": "1990-1-1"',
        'data.birthday must be a date written YYYY-MM-DD',
      ],
      [
        'a date and time',
        '"birthday": "1990-01-01T00:00:00Z"',
        'data.birthday must be a date written YYYY-MM-DD',
      ],
      [
        'a date before min',
        '"birthday": "1899-12-31"',
        'data.birthday must be on or after 1900-01-01',
      ],
      [
        'a date after max',
        '"birthday": "2021-01-01"',
        'data.birthday must be on or before 2020-12-31',
      ],
      [
        'an invalid email',
        '"workEmail": "ada at engines"',
        'data.workEmail must be a valid email address',
      ],
      [
        'a javascript: URL',
        '"website": "javascript:alert(1)"',
        'data.website must be an http or https URL',
      ],
      [
        'an ftp URL',
        '"website": "ftp://engines.test/"',
        'data.website must be an http or https URL',
      ],
      ['an option not listed', '"plan": "enterprise"', 'data.plan must be one of "free", "pro"'],
      ['an option in another case', '"plan": "Pro"', 'data.plan must be one of "free", "pro"'],
      [
        'text longer than maxLength',
        `"company": "${'x'.repeat(41)}"`,
        'data.company must be at most 40 characters',
      ],
      [
        'a control character in text',
        '"company": "Engines\\u0007"',
        'data.company must not contain control characters',
      ],
      ['a number for text', '"company": 42', 'data.company must be a string'],
      ['a nested object', '"company": {"$gt": ""}', 'data.company must be a string'],
      ['an array', '"age": [1, 2]', 'data.age must be a whole number'],
      [
        'a lone surrogate',
        '"company": "Engines \\ud800"',
        'data.company is not well-formed Unicode text.',
      ],
    ];

    it.each(badValues)(
      'refuses %s with 400 naming data.<key>, creating nothing',
      async (_, entry, message) => {
        const account = newAccount();
        const json = `{"email": "${account.email}", "password": "${GOOD_PASSWORD}", "data": {"company": "Engines", "plan": "free", ${entry}}}`;
        const response = await postRaw('/auth/register', json).expect(400);
        const field = /^"(\w+)"/.exec(entry)![1];
        expect(response.body.error).toEqual({
          code: 'VALIDATION_FAILED',
          message,
          field: `data.${field}`,
        });
        expect(await users().countDocuments({ email: account.email })).toBe(0);
      },
    );

    it.each([
      'nickname',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'a.b',
      '$where',
    ])('refuses the unknown key "%s" naming it, creating nothing', async (key) => {
      const account = newAccount();
      const json = `{"email": "${account.email}", "password": "${GOOD_PASSWORD}", "data": {"company": "Engines", "plan": "free", "${key}": {"role": "admin"}}}`;
      const response = await postRaw('/auth/register', json).expect(400);
      expect(response.body.error).toEqual({
        code: 'VALIDATION_FAILED',
        message: `Unknown field "data.${key}".`,
        field: `data.${key}`,
      });
      expect(await users().countDocuments({ email: account.email })).toBe(0);
    });

    it.each(['[]', '"text"', '42', 'null', 'true', '[{"company": "Engines"}]'])(
      'refuses data that is not an object (%s)',
      async (data) => {
        const account = newAccount();
        const json = `{"email": "${account.email}", "password": "${GOOD_PASSWORD}", "data": ${data}}`;
        const response = await postRaw('/auth/register', json).expect(400);
        expect(response.body.error).toMatchObject({
          code: 'VALIDATION_FAILED',
          message: 'data must be an object',
          field: 'data',
        });
        expect(await users().countDocuments({ email: account.email })).toBe(0);
      },
    );

    it('checks the values before the password: no hashing for a refused form', async () => {
      const account = newAccount({ password: 'short' });
      const response = await request(t.http)
        .post('/auth/register')
        .send({ ...account, data: { ...REQUIRED_DATA, age: 'old' } })
        .expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'data.age' });
    });
  });

  describe('PATCH /me', () => {
    it('changes only the keys given, and null removes an optional value', async () => {
      const { cookie, account } = await registerWith({ age: 36, newsletter: true });
      const patch = (data: Record<string, unknown>) =>
        request(t.http).patch('/me').set('Cookie', cookie).send({ data }).expect(200);

      let response = await patch({ birthday: '1990-12-10', age: 37 });
      expect(response.body.user.data).toEqual({
        ...REQUIRED_DATA,
        age: 37,
        newsletter: true,
        birthday: '1990-12-10',
      });
      response = await patch({ newsletter: null, company: ' Difference Engines ' });
      expect(response.body.user.data).toEqual({
        company: 'Difference Engines',
        plan: 'free',
        age: 37,
        birthday: '1990-12-10',
      });
      response = await patch({});
      expect(response.body.user.data).toEqual({
        company: 'Difference Engines',
        plan: 'free',
        age: 37,
        birthday: '1990-12-10',
      });
      const stored = await users().findOne({ email: account.email });
      expect(stored?.data).toEqual(response.body.user.data);
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.data).toEqual(response.body.user.data);
    });

    it('changes the name and the values in one request', async () => {
      const { cookie } = await registerWith();
      const response = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send({ name: 'Ada', data: { website: 'http://ada.test' } })
        .expect(200);
      expect(response.body.user).toMatchObject({
        name: 'Ada',
        data: { ...REQUIRED_DATA, website: 'http://ada.test' },
      });
    });

    it.each([
      ['a required value set to null', { plan: null }, 'data.plan', 'data.plan is required'],
      ['an unknown key', { nickname: 'Ada' }, 'data.nickname', 'Unknown field "data.nickname".'],
      ['a wrong type', { age: '37' }, 'data.age', 'data.age must be a whole number'],
    ])('refuses %s, changing nothing (not even the rest)', async (_, data, field, message) => {
      const { cookie, account } = await registerWith({ age: 36 });
      const before = await users().findOne({ email: account.email });
      const response = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send({ name: 'Changed', data: { company: 'Changed', ...data } })
        .expect(400);
      expect(response.body.error).toEqual({ code: 'VALIDATION_FAILED', message, field });
      expect(await users().findOne({ email: account.email })).toEqual(before);
    });

    it('refuses data: null and data that is not an object', async () => {
      const { cookie } = await registerWith();
      for (const data of [null, [], 'plan=pro']) {
        const response = await request(t.http)
          .patch('/me')
          .set('Cookie', cookie)
          .send({ data })
          .expect(400);
        expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'data' });
      }
    });

    it('applies parallel changes of different keys without losing any (one update each)', async () => {
      const { cookie, account } = await registerWith();
      const changes = [
        { age: 40 },
        { height: 1.7 },
        { newsletter: true },
        { birthday: '1990-05-17' },
        { workEmail: 'ada@work.test' },
        { website: 'https://ada.test' },
        { plan: 'pro' },
        { company: 'Parallel Engines' },
      ];
      await Promise.all(
        changes.map((data) =>
          request(t.http).patch('/me').set('Cookie', cookie).send({ data }).expect(200),
        ),
      );
      const stored = await users().findOne({ email: account.email });
      expect(stored?.data).toEqual(Object.assign({}, ...changes));
    });

    it('shows data as {} for an account without any (as those from before the fields)', async () => {
      const { cookie, account } = await registerWith();
      await users().updateOne({ email: account.email }, { $unset: { data: 1 } });
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.data).toEqual({});
    });
  });
});
