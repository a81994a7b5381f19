import request from 'supertest';
import { GOOD_PASSWORD, newAccount } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

interface SetCookie {
  name: string;
  value: string;
  /** Attribute names as sent (`Path=/` → `Path`), and values. */
  attributes: Record<string, string | true>;
  line: string;
}

/** The Set-Cookie lines of a response, parsed. */
function setCookies(response: request.Response): SetCookie[] {
  const lines = (response.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return lines.map((line) => {
    const [pair, ...rest] = line.split('; ');
    const equals = pair.indexOf('=');
    const attributes = Object.fromEntries(
      rest.map((attribute) => {
        const [key, value] = attribute.split('=');
        return [key, value ?? true] as const;
      }),
    );
    return { name: pair.slice(0, equals), value: pair.slice(equals + 1), attributes, line };
  });
}

function setCookie(response: request.Response, name: string): SetCookie {
  const found = setCookies(response).find((cookie) => cookie.name === name);
  if (!found) throw new Error(`No ${name} cookie in ${JSON.stringify(response.headers)}`);
  return found;
}

/** The CSRF token of a page's forms. */
function formToken(page: request.Response): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}

describe('cookies over https at the root of an origin', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_URL: 'https://accounts.example.test' } });
  });
  afterAll(() => t.close());

  it('names the session cookie __Host-sid: Secure, Path=/, HttpOnly, SameSite=Lax, no Domain', async () => {
    const registered = await request(t.http).post('/auth/register').send(newAccount()).expect(201);
    const session = setCookie(registered, '__Host-sid');
    expect(session.attributes).toMatchObject({
      Path: '/',
      Secure: true,
      HttpOnly: true,
      SameSite: 'Lax',
    });
    expect(session.attributes.Domain).toBeUndefined();
    expect(setCookies(registered).map(({ name }) => name)).not.toContain('sid');

    await request(t.http).get('/me').set('Cookie', `__Host-sid=${session.value}`).expect(200);
    // A plain "sid" cookie (which a sibling domain could plant) is not the session.
    await request(t.http).get('/me').set('Cookie', `sid=${session.value}`).expect(401);
  });

  it('clears the session cookie with the attributes browsers need to accept it', async () => {
    const registered = await request(t.http).post('/auth/register').send(newAccount()).expect(201);
    const { value } = setCookie(registered, '__Host-sid');
    const loggedOut = await request(t.http)
      .post('/auth/logout')
      .set('Cookie', `__Host-sid=${value}`)
      .expect(204);
    const cleared = setCookie(loggedOut, '__Host-sid');
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toMatchObject({ Path: '/', Secure: true });
    await request(t.http).get('/me').set('Cookie', `__Host-sid=${value}`).expect(401);
  });

  it('names the CSRF cookie __Host-csrf, Secure, Path=/', async () => {
    const page = await request(t.http).get('/login').expect(200);
    expect(setCookie(page, '__Host-csrf').attributes).toMatchObject({
      Path: '/',
      Secure: true,
      HttpOnly: true,
      SameSite: 'Lax',
    });
  });

  describe('CSRF tokens bound to the __Host- session cookie', () => {
    let session: string;

    beforeAll(async () => {
      const registered = await request(t.http)
        .post('/auth/register')
        .send(newAccount())
        .expect(201);
      session = `__Host-sid=${setCookie(registered, '__Host-sid').value}`;
    });

    const saveName = (cookie: string, token: string) =>
      request(t.http)
        .post('/settings/profile')
        .set('Cookie', cookie)
        .type('form')
        .send({ _csrf: token, name: 'Renamed' });

    it("accept the session's own token", async () => {
      const page = await request(t.http).get('/settings').set('Cookie', session).expect(200);
      const csrf = setCookie(page, '__Host-csrf');
      const response = await saveName(
        `${session}; __Host-csrf=${csrf.value}`,
        formToken(page),
      ).expect(303);
      // The confirmation for the next page rides in a Secure cookie too.
      expect(setCookie(response, 'flash').attributes).toMatchObject({ Secure: true, Path: '/' });
    });

    it('refuse a token issued to a signed-out visitor', async () => {
      const page = await request(t.http).get('/login').expect(200);
      const csrf = setCookie(page, '__Host-csrf');
      await saveName(`${session}; __Host-csrf=${csrf.value}`, formToken(page)).expect(403);
    });
  });
});

describe('cookies over https under a path', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_URL: 'https://example.test/accounts' } });
  });
  afterAll(() => t.close());

  it('keeps the plain names, Secure', async () => {
    const registered = await request(t.http).post('/auth/register').send(newAccount()).expect(201);
    const session = setCookie(registered, 'sid');
    expect(session.attributes).toMatchObject({ Path: '/', Secure: true, HttpOnly: true });
    await request(t.http).get('/me').set('Cookie', `sid=${session.value}`).expect(200);

    const page = await request(t.http).get('/login').expect(200);
    expect(setCookie(page, 'csrf').attributes).toMatchObject({ Secure: true });
  });
});

describe('cookies over http', () => {
  let t: TestApp;

  beforeAll(async () => {
    // NODE_ENV=production no longer decides: the scheme browsers use does.
    t = await createTestApp({
      env: {
        PUBLIC_URL: 'http://localhost:3000',
        NODE_ENV: 'production',
        SMTP_URL: 'smtp://127.0.0.1:9',
        MAIL_FROM: 'Accounts <no-reply@example.test>',
        CSRF_SECRET: 'a-csrf-secret-shared-by-every-instance',
        TWO_STEP_SECRET: 'a-two-step-secret-shared-by-every-instance',
      },
    });
  });
  afterAll(() => t.close());

  it('are not Secure, so browsers keep them on plain http', async () => {
    const registered = await request(t.http).post('/auth/register').send(newAccount()).expect(201);
    const session = setCookie(registered, 'sid');
    expect(session.attributes).toMatchObject({ Path: '/', HttpOnly: true, SameSite: 'Lax' });
    expect(session.attributes.Secure).toBeUndefined();
    const page = await request(t.http).get('/login').expect(200);
    expect(setCookie(page, 'csrf').attributes.Secure).toBeUndefined();
  });
});

describe('malformed cookies', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['csrf', 'j:{}'],
    ['csrf', 'j:["a"]'],
    ['sid', 'j:{"$gt":""}'],
    ['flash', 'j:1'],
    ['someone_else', 'j:true'],
  ])('%s=%s gets 400 on a page, and the cookie is cleared', async (name, value) => {
    const response = await request(t.http)
      .get('/login')
      .set('Accept', 'text/html')
      .set('Cookie', `${name}=${value}`)
      .expect(400);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain(`The cookie &quot;${name}&quot; is malformed`);
    const cleared = setCookies(response).find((cookie) => cookie.name === name);
    expect(cleared).toMatchObject({ value: '', attributes: { Path: '/' } });
    expect(new Date(cleared!.attributes.Expires as string).getTime()).toBeLessThan(Date.now());
    // Without it (as the browser now is), the page works again.
    await request(t.http).get('/login').expect(200);
  });

  it('gets a JSON 400 naming the cookie on the API, and nothing is written', async () => {
    const account = newAccount();
    const response = await request(t.http)
      .post('/auth/register')
      .set('Cookie', 'sid=j:{"a":1}')
      .send(account)
      .expect(400);
    expect(response.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'The cookie "sid" is malformed and has been cleared. Please try again.',
      field: 'cookies.sid',
    });
    expect(await t.db.collection('users').countDocuments({ email: account.email })).toBe(0);
  });

  it('are all cleared at once, the first one named', async () => {
    const response = await request(t.http)
      .get('/login')
      .set('Cookie', 'csrf=j:{}; theme=dark; flash=j:[1]')
      .expect(400);
    expect(response.body.error.field).toBe('cookies.csrf');
    const cleared = setCookies(response).filter((cookie) => cookie.value === '');
    expect(new Set(cleared.map((cookie) => cookie.name))).toEqual(new Set(['csrf', 'flash']));
  });

  it('is cleared at every path it can have been sent for', async () => {
    const response = await request(t.http)
      .get('/auth/google/callback')
      .set('Cookie', 'sid_flow=j:{}')
      .expect(400);
    const paths = setCookies(response)
      .filter((cookie) => cookie.name === 'sid_flow')
      .map((cookie) => cookie.attributes.Path);
    expect(paths).toEqual(['/', '/auth', '/auth/google', '/auth/google/callback']);
  });

  it('leaves well-formed cookies (and j: values that are strings) alone', async () => {
    const { body } = await request(t.http)
      .post('/auth/register')
      .set('Cookie', 'theme=dark; other=j:"text"; broken=j:{')
      .send(newAccount({ password: GOOD_PASSWORD }))
      .expect(201);
    expect(body.user).toBeDefined();
  });
});
