import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

/** The HTML pages over plain HTTP: tokens, status codes and what reaches the database. */
describe('pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { GOOGLE_CLIENT_ID: 'g-id', GOOGLE_CLIENT_SECRET: 'g-secret' },
    });
  });
  afterAll(() => t.close());

  /** A browser-like agent with the form's CSRF token from a page. */
  async function formOn(path: string, agent = request.agent(t.http)) {
    const page = await agent.get(path).set('Accept', 'text/html').expect(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return { agent, token, page };
  }

  it('serves the sign-in page with labelled fields, autocomplete hints and the provider buttons', async () => {
    const { page } = await formOn('/login');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toMatch(/^<!doctype html>\s*<html lang="en">/);
    expect(page.text).toContain('<label for="login">Email or username</label>');
    // "webauthn": the browser's autofill offers the site's passkeys in the login field too.
    expect(page.text).toMatch(/id="login"[^>]*autocomplete="username webauthn"/);
    expect(page.text).toMatch(/id="password"[^>]*autocomplete="current-password"/);
    expect(page.text).toContain('Continue with Google');
  });

  it("runs the service's own passkey script only: no inline script, no handler attribute, no other origin", async () => {
    const agent = request.agent(t.http);
    const { token } = await formOn('/register', agent);
    const account = newAccount();
    await agent
      .post('/register')
      .type('form')
      .send({ _csrf: token, ...account, passwordConfirm: account.password })
      .expect(303);
    for (const path of ['/login', '/register', '/settings', '/settings/confirm']) {
      const page = await agent.get(path).set('Accept', 'text/html').expect(200);
      const scripts = [...page.text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
      expect([path, scripts.map(([tag]) => tag)]).toEqual([
        path,
        ['<script src="/assets/passkeys.js" defer></script>'],
      ]);
      expect([path, page.text]).not.toEqual([path, expect.stringMatching(/\son[a-z]+\s*=/i)]);
      expect([path, page.text]).not.toEqual([path, expect.stringMatching(/javascript:/i)]);
    }
    const script = await request(t.http).get('/assets/passkeys.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toContain('navigator.credentials');
    // Nothing the CSP would refuse, nor a dialog in place of the page's own alert element.
    expect(script.text).not.toMatch(/\beval\(|new Function|\balert\(|innerHTML/);
  });

  it('allows form posts only to the providers in its content security policy', async () => {
    const page = await request(t.http).get('/login').expect(200);
    expect(page.headers['content-security-policy']).toContain(
      "form-action 'self' https://accounts.google.com",
    );
  });

  it('refuses a form without its CSRF token with a 403 page, and registers nobody', async () => {
    const account = newAccount();
    const response = await request(t.http)
      .post('/register')
      .set('Accept', 'text/html')
      .type('form')
      .send({
        email: account.email,
        password: account.password,
        passwordConfirm: account.password,
      });
    expect(response.status).toBe(403);
    expect(response.text).toContain('This form has expired or did not come from this site');
    expect(await t.db.collection('users').countDocuments({ email: account.email })).toBe(0);
  });

  it('refuses a token from another browser', async () => {
    const { token } = await formOn('/register');
    const account = newAccount();
    const { agent } = await formOn('/register');
    await agent
      .post('/register')
      .type('form')
      .send({
        _csrf: token,
        email: account.email,
        password: GOOD_PASSWORD,
        passwordConfirm: GOOD_PASSWORD,
      })
      .expect(403);
    expect(await t.db.collection('users').countDocuments({ email: account.email })).toBe(0);
  });

  it('registers through the form and redirects (303) to the settings', async () => {
    const { agent, token } = await formOn('/register');
    const account = newAccount();
    const response = await agent.post('/register').type('form').send({
      _csrf: token,
      email: account.email,
      password: GOOD_PASSWORD,
      passwordConfirm: GOOD_PASSWORD,
    });
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe('http://localhost:3000/settings');
    await agent.get('/me').expect(200);
  });

  it('refuses a form whose bytes are not UTF-8 (they would be read as U+FFFD), and registers nobody', async () => {
    const { agent, token } = await formOn('/register');
    const account = newAccount();
    const password = (bytes: number[]) =>
      Buffer.concat([Buffer.from(encodeURIComponent(GOOD_PASSWORD)), Buffer.from(bytes)]);
    const body = Buffer.concat([
      Buffer.from(`_csrf=${encodeURIComponent(token)}&email=${encodeURIComponent(account.email)}`),
      Buffer.from('&password='),
      password([0xed, 0xa0, 0x80]),
      Buffer.from('&passwordConfirm='),
      password([0xed, 0xa0, 0x81]),
    ]);
    const response = await agent
      .post('/register')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(body);
    expect(response.status).toBe(400);
    expect(await t.db.collection('users').countDocuments({ email: account.email })).toBe(0);
  });

  it('answers a taken email with 409 and the message next to the field', async () => {
    const { account } = await register(t.http);
    const { agent, token } = await formOn('/register');
    const response = await agent.post('/register').type('form').send({
      _csrf: token,
      email: account.email,
      password: GOOD_PASSWORD,
      passwordConfirm: GOOD_PASSWORD,
    });
    expect(response.status).toBe(409);
    expect(response.text).toMatch(
      /id="email-error">That email is already used by another account\./,
    );
    expect(response.text).not.toContain(GOOD_PASSWORD);
  });

  it.each([
    [
      'a common password',
      'qwertyuiopasdfghjkl',
      'This password is in a list of common or breached passwords, so it is easy to guess. Please choose another.',
    ],
    [
      'the email',
      'I am Ada.Lovelace.Page@example.test',
      'Your password must not contain your email address.',
    ],
    [
      'the username',
      'the countess_page of numbers',
      'Your password must not contain your username.',
    ],
  ])(
    'shows why a registration password is refused (%s) next to the field, registering nobody',
    async (_, password, reason) => {
      const { agent, token } = await formOn('/register');
      const email = 'ada.lovelace.page@example.test';
      const response = await agent.post('/register').type('form').send({
        _csrf: token,
        email,
        username: 'countess_page',
        password,
        passwordConfirm: password,
      });
      expect(response.status).toBe(400);
      expect(response.text).toContain(`id="password-error">${reason}</p>`);
      expect(response.text).not.toContain(password);
      expect(await t.db.collection('users').countDocuments({ email })).toBe(0);
    },
  );

  it('shows why a new password is refused next to the settings field, changing nothing', async () => {
    const { cookie } = await register(
      t.http,
      newAccount({ email: 'mary.page@example.test', username: 'somerville_page' }),
    );
    const users = () => t.db.collection('users');
    const before = await users().findOne({ username: 'somerville_page' });
    const { agent, token } = await formOn('/settings', request.agent(t.http).set('Cookie', cookie));
    const newPassword = 'Somerville_Page writes on physics';
    const response = await agent.post('/settings/password').type('form').send({
      _csrf: token,
      currentPassword: GOOD_PASSWORD,
      newPassword,
      newPasswordConfirm: newPassword,
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain(
      'id="newPassword-error">Your password must not contain your username.',
    );
    expect(response.text).not.toContain(newPassword);
    const after = await users().findOne({ username: 'somerville_page' });
    expect(after?.passwordHash).toBe(before?.passwordHash);
  });

  it('asks an old session to confirm it is you before it looks at a settings form’s token', async () => {
    const { cookie, user } = await register(t.http);
    await t.db
      .collection('sessions')
      .updateMany(
        { userId: new Types.ObjectId(user.id) },
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );
    const response = await request(t.http)
      .post('/settings/password/remove')
      .set('Accept', 'text/html')
      .set('Cookie', cookie)
      .type('form')
      .send({});
    expect(response.status).toBe(401);
    expect(response.text).toContain('This change affects how you sign in');
    expect(response.text).not.toContain('This form has expired');
  });

  it('answers wrong credentials with 401, keeping the login but not the password', async () => {
    const { agent, token } = await formOn('/login');
    const response = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, login: 'nobody_here', password: 'a wrong password here' });
    expect(response.status).toBe(401);
    expect(response.text).toContain('The login or password is incorrect.');
    expect(response.text).toContain('value="nobody_here"');
    expect(response.text).not.toContain('a wrong password here');
  });

  it('sends signed-out visitors from /settings to the sign-in page', async () => {
    const response = await request(t.http).get('/settings').expect(303);
    expect(response.headers.location).toBe('http://localhost:3000/login?returnTo=%2Fsettings');
  });

  it('keeps HTML forms away from the JSON API', async () => {
    const { account } = await register(t.http);
    const response = await request(t.http)
      .post('/auth/login')
      .type('form')
      .send({ login: account.email, password: GOOD_PASSWORD })
      .expect(400);
    expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'login' });
  });

  it('shows browsers an HTML error page with the right status', async () => {
    const response = await request(t.http)
      .get('/no/such/page')
      .set('Accept', 'text/html')
      .expect(404);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toContain('Cannot GET /no/such/page');
    const json = await request(t.http).get('/no/such/page').expect(404);
    expect(json.body.error.code).toBe('NOT_FOUND');
  });

  it('shows a signed-in person the signed-in header on error pages and the deletion page', async () => {
    const { cookie } = await register(t.http);
    const header = (html: string) => /<header class="site">[\s\S]*?<\/header>/.exec(html)?.[0];
    const notFound = await request(t.http)
      .get('/no/such/page')
      .set('Accept', 'text/html')
      .set('Cookie', cookie)
      .expect(404);
    const deletion = await request(t.http)
      .get('/settings/delete')
      .set('Accept', 'text/html')
      .set('Cookie', cookie)
      .expect(200);
    for (const page of [notFound, deletion]) {
      expect(header(page.text)).toContain('Sign out');
      expect(header(page.text)).not.toContain('Create an account');
    }
    const signedOut = await request(t.http)
      .get('/no/such/page')
      .set('Accept', 'text/html')
      .expect(404);
    expect(header(signedOut.text)).toContain('Create an account');
  });

  it('encodes returnTo in the provider buttons as one query value', async () => {
    const returnTo = '/settings?tab=a&code=injected&state=forged#x';
    const { page } = await formOn(`/login?returnTo=${encodeURIComponent(returnTo)}`);
    const href = /href="([^"]*\/auth\/google[^"]*)"/.exec(page.text)?.[1];
    expect(href).toBeDefined();
    // Handlebars escapes "=" and "&" in attributes; a browser reads them back.
    const decoded = href!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const url = new URL(decoded, 'http://localhost');
    expect([...url.searchParams.keys()]).toEqual(['returnTo']);
    // The page passes on the checked absolute URL.
    expect(url.searchParams.get('returnTo')).toBe(new URL(returnTo, t.config.publicUrl).href);
  });

  it.each(['code', 'state', 'error', 'iss'])(
    'refuses a sign-in start that carries "%s", which only a provider\'s answer has',
    async (name) => {
      const flows = () => t.db.collection('sign_in_flows').countDocuments();
      const before = await flows();
      const response = await request(t.http)
        .get(`/auth/google?returnTo=%2Fsettings&${name}=injected`)
        .set('Accept', 'application/json')
        .expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: name });
      expect(response.headers.location).toBeUndefined();
      expect(await flows()).toBe(before);
    },
  );

  it('changes state only through POST: settings actions answer GET with 405', async () => {
    const { cookie } = await register(t.http);
    const remove = await request(t.http)
      .get('/settings/password/remove')
      .set('Cookie', cookie)
      .expect(405);
    expect(remove.headers.allow).toBe('POST, OPTIONS');
    await request(t.http)
      .get('/settings/connections/google/disconnect')
      .set('Cookie', cookie)
      .expect(405);
  });
});
