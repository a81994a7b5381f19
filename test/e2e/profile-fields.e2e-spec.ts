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

  describe('pages', () => {
    /** A browser-like agent and the CSRF token of the page it GETs. */
    async function formOn(path: string, agent = request.agent(t.http)) {
      const page = await agent.get(path).set('Accept', 'text/html').expect(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      if (!token) throw new Error(`no CSRF token on ${path}`);
      return { agent, token, page };
    }

    /** The markup of one field (its .field block), by its input name. */
    const fieldHtml = (html: string, name: string) => {
      const start = html.lastIndexOf('<div class="field', html.indexOf(`id="${name}"`));
      return html.slice(start, html.indexOf('</div>', start));
    };

    /** A form that passes, as the register page sends it (an unticked box sends nothing). */
    const validForm = (account = newAccount()) => ({
      email: account.email,
      password: GOOD_PASSWORD,
      passwordConfirm: GOOD_PASSWORD,
      'data.company': '  Analytical Engines ',
      'data.age': '36',
      'data.height': '1.65',
      'data.newsletter': 'true',
      'data.birthday': '1990-12-10',
      'data.workEmail': 'Ada@Engines.test',
      'data.website': 'https://engines.test',
      'data.plan': 'pro',
    });

    it('draws each field on the register page with its label and an input of its type', async () => {
      const { page } = await formOn('/register');
      const html = page.text;
      expect(fieldHtml(html, 'data.company')).toMatch(
        /<label for="data.company">Company<\/label>\s*<input id="data.company" name="data.company" type="text"\s+required\s+maxlength="40"/,
      );
      expect(fieldHtml(html, 'data.age')).toMatch(
        /Age <span class="hint">\(optional\)<\/span>[\s\S]*type="number"\s+step="1" min="0" max="150"/,
      );
      expect(fieldHtml(html, 'data.height')).toMatch(
        /type="number"\s+step="any" min="0.5" max="2.5"/,
      );
      expect(fieldHtml(html, 'data.newsletter')).toMatch(
        /<input id="data.newsletter" name="data.newsletter" type="checkbox" value="true"\s*>\s*<label for="data.newsletter">Send me the newsletter<\/label>/,
      );
      expect(fieldHtml(html, 'data.birthday')).toMatch(
        /type="date"\s+min="1900-01-01" max="2020-12-31"/,
      );
      expect(fieldHtml(html, 'data.workEmail')).toMatch(/type="email"\s+maxlength="254"/);
      expect(fieldHtml(html, 'data.website')).toMatch(/type="url"\s+maxlength="1000"/);
      const plan = fieldHtml(html, 'data.plan');
      expect(plan).toMatch(
        /<label for="data.plan">Plan<\/label>\s*<select id="data.plan" name="data.plan" required/,
      );
      expect(
        [...plan.matchAll(/<option value="([^"]*)"\s*>([^<]*)</g)].map((m) => [m[1], m[2]]),
      ).toEqual([
        ['', 'Choose…'],
        ['free', 'free'],
        ['pro', 'pro'],
      ]);
    });

    it('registers with the fields typed as strings, storing each by its type', async () => {
      const { agent, token } = await formOn('/register');
      const form = validForm();
      await agent
        .post('/register')
        .type('form')
        .send({ _csrf: token, ...form })
        .expect(303);
      const stored = await users().findOne({ email: form.email });
      expect(stored?.data).toEqual({
        company: 'Analytical Engines',
        age: 36,
        height: 1.65,
        newsletter: true,
        birthday: '1990-12-10',
        workEmail: 'ada@engines.test',
        website: 'https://engines.test',
        plan: 'pro',
      });
    });

    it('stores an unticked box as false and leaves empty optional fields out', async () => {
      const { agent, token } = await formOn('/register');
      const form = {
        ...validForm(),
        'data.newsletter': undefined,
        'data.age': '',
        'data.height': ' ',
        'data.birthday': '',
        'data.workEmail': '',
        'data.website': '',
      };
      await agent
        .post('/register')
        .type('form')
        .send({ _csrf: token, ...form })
        .expect(303);
      const stored = await users().findOne({ email: form.email });
      expect(stored?.data).toEqual({
        company: 'Analytical Engines',
        newsletter: false,
        plan: 'pro',
      });
    });

    it('shows every refused value next to its field, keeping what was typed, creating nothing', async () => {
      const { agent, token } = await formOn('/register');
      const form = {
        ...validForm(),
        'data.company': '',
        'data.age': '151',
        'data.height': 'tall',
        'data.birthday': '2021-01-01',
        'data.workEmail': 'ada at engines',
        'data.website': 'engines.test',
        'data.plan': '',
      };
      const response = await agent
        .post('/register')
        .type('form')
        .send({ _csrf: token, ...form });
      expect(response.status).toBe(400);
      const errorOf = (name: string) =>
        new RegExp(`<p class="field-error" id="${name}-error">([^<]*)</p>`).exec(
          fieldHtml(response.text, name),
        )?.[1];
      expect({
        company: errorOf('data.company'),
        age: errorOf('data.age'),
        height: errorOf('data.height'),
        newsletter: errorOf('data.newsletter'),
        birthday: errorOf('data.birthday'),
        workEmail: errorOf('data.workEmail'),
        website: errorOf('data.website'),
        plan: errorOf('data.plan'),
      }).toEqual({
        company: 'Please fill in this field.',
        age: 'Age must be at most 150.',
        height: 'Height in metres must be a number.',
        newsletter: undefined,
        birthday: 'Birthday must be on or before 2020-12-31.',
        workEmail: 'Work email must be a valid email address.',
        website: 'Website must be an http or https URL.',
        plan: 'Please fill in this field.',
      });
      expect(fieldHtml(response.text, 'data.age')).toMatch(
        /value="151"[\s\S]*aria-invalid="true" aria-describedby="data.age-error"/,
      );
      expect(fieldHtml(response.text, 'data.height')).toContain('value="tall"');
      expect(fieldHtml(response.text, 'data.birthday')).toContain('value="2021-01-01"');
      expect(fieldHtml(response.text, 'data.website')).toContain('value="engines.test"');
      expect(fieldHtml(response.text, 'data.newsletter')).toMatch(/value="true" checked/);
      expect(response.text).toContain(`value="${form.email}"`);
      expect(await users().countDocuments({ email: form.email })).toBe(0);
    });

    it('keeps the chosen option when another field is refused', async () => {
      const { agent, token } = await formOn('/register');
      const response = await agent
        .post('/register')
        .type('form')
        .send({ _csrf: token, ...validForm(), 'data.age': 'x' })
        .expect(400);
      expect(fieldHtml(response.text, 'data.plan')).toMatch(/<option value="pro" selected>pro</);
      expect(fieldHtml(response.text, 'data.age')).toContain('Age must be a whole number.');
    });

    /** Registers over the API, then opens the settings page in a browser-like agent. */
    async function settings(data: Record<string, unknown> = {}) {
      const { cookie, account } = await registerWith(data);
      const agent = request.agent(t.http).set('Cookie', cookie);
      return { ...(await formOn('/settings', agent)), account };
    }

    it('shows the stored values in the settings, required ones marked', async () => {
      const { page } = await settings({ age: 36, newsletter: true, plan: 'pro' });
      expect(fieldHtml(page.text, 'data.company')).toMatch(
        /Company <span class="hint">\(required\)<\/span>[\s\S]*value="Analytical Engines" required/,
      );
      expect(fieldHtml(page.text, 'data.age')).toMatch(
        /<label for="data.age">Age<\/label>[\s\S]*value="36"/,
      );
      expect(fieldHtml(page.text, 'data.newsletter')).toMatch(/value="true" checked/);
      expect(fieldHtml(page.text, 'data.plan')).toMatch(/<option value="pro" selected>pro</);
      expect(fieldHtml(page.text, 'data.birthday')).not.toContain('value=');
    });

    it('saves the settings form: changed values, emptied ones removed, an unticked box false', async () => {
      const { agent, token, account } = await settings({
        age: 36,
        newsletter: true,
        website: 'https://a.test',
      });
      const response = await agent.post('/settings/profile').type('form').send({
        _csrf: token,
        name: 'Ada',
        username: '',
        email: '',
        'data.company': 'Difference Engines',
        'data.age': '',
        'data.height': '1.7',
        'data.birthday': '1990-12-10',
        'data.workEmail': '',
        'data.website': '',
        'data.plan': 'free',
      });
      expect(response.status).toBe(303);
      const stored = await users().findOne({ email: account.email });
      expect(stored?.name).toBe('Ada');
      expect(stored?.data).toEqual({
        company: 'Difference Engines',
        height: 1.7,
        newsletter: false,
        birthday: '1990-12-10',
        plan: 'free',
      });
    });

    it('refuses to empty a required field in the settings, changing nothing', async () => {
      const { agent, token, account } = await settings({ age: 36 });
      const before = await users().findOne({ email: account.email });
      const response = await agent.post('/settings/profile').type('form').send({
        _csrf: token,
        name: 'Ada',
        'data.company': ' ',
        'data.age': '-3',
        'data.plan': 'free',
      });
      expect(response.status).toBe(400);
      expect(fieldHtml(response.text, 'data.company')).toContain(
        '<p class="field-error" id="data.company-error">Please fill in this field.</p>',
      );
      expect(fieldHtml(response.text, 'data.age')).toMatch(
        /value="-3"[\s\S]*Age must be at least 0\./,
      );
      expect(await users().findOne({ email: account.email })).toEqual(before);
    });

    it('keeps a new email pending while the profile values are saved at once', async () => {
      const { agent, token, account } = await settings();
      const to = newAccount().email;
      const response = await agent
        .post('/settings/profile')
        .type('form')
        .send({ _csrf: token, email: to, 'data.company': 'Engines', 'data.plan': 'pro' })
        .expect(303);
      expect(response.headers.location).toBe('http://localhost:3000/settings');
      const stored = await users().findOne({ email: account.email });
      expect(stored).toMatchObject({ pendingEmail: to, data: { company: 'Engines', plan: 'pro' } });
      const page = await agent.get('/settings').set('Accept', 'text/html').expect(200);
      expect(page.text).toContain('We sent a link to your new email address.');
    });
  });
});
