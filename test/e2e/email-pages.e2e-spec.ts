import request from 'supertest';
import { GOOD_PASSWORD, login, newAccount } from '../support/accounts';
import { appWithMail, AppWithMail } from '../support/fixtures';
import { linkIn, MailServer } from '../support/mail';
import type { TestApp } from '../support/test-app';

const NEW_PASSWORD = 'a recovered passphrase, long enough';

/** The pages that the links in messages open, over plain HTTP with their CSRF tokens. */
describe('email pages', () => {
  let mail: MailServer;
  let t: TestApp;

  let fixture: AppWithMail;
  beforeAll(async () => {
    fixture = await appWithMail();
    ({ mail, t } = fixture);
  });
  afterAll(() => fixture?.close());

  /** A browser: GETs a page as HTML and reads its form's CSRF token. */
  async function page(agent: ReturnType<typeof request.agent>, path: string, status = 200) {
    const response = await agent.get(path).set('Accept', 'text/html').expect(status);
    const token = /name="_csrf" value="([^"]+)"/.exec(response.text)?.[1];
    return { text: response.text, csrf: token ?? '' };
  }
  const pathOf = (url: URL) => url.pathname + url.search;

  async function registerInBrowser() {
    const agent = request.agent(t.http);
    const account = newAccount();
    const { csrf } = await page(agent, '/register');
    await agent
      .post('/register')
      .type('form')
      .send({
        _csrf: csrf,
        email: account.email,
        password: GOOD_PASSWORD,
        passwordConfirm: GOOD_PASSWORD,
      })
      .expect(303);
    return { agent, account };
  }

  it('confirms an email with the button, never by opening the link', async () => {
    const { agent, account } = await registerInBrowser();
    const link = linkIn(await mail.next(account.email), '/verify-email');
    // Opening the link (as a mail scanner would, twice) changes nothing.
    await page(request.agent(t.http), pathOf(link));
    const opened = await page(agent, pathOf(link));
    expect(opened.text).toContain(`<strong>${account.email}</strong>`);
    expect(opened.text).toContain('Confirm my email address');
    expect((await agent.get('/me')).body.user.emailVerified).toBe(false);

    const confirmed = await agent
      .post('/verify-email')
      .type('form')
      .send({ _csrf: opened.csrf, token: link.searchParams.get('token') })
      .expect(303);
    expect(confirmed.headers.location).toBe(`${t.config.publicUrl}/settings`);
    expect((await agent.get('/me')).body.user.emailVerified).toBe(true);
    const settings = await page(agent, '/settings');
    expect(settings.text).toContain('Your email address is confirmed.');

    const dead = await page(agent, pathOf(link), 400);
    expect(dead.text).toContain('This link is not valid any more');
  });

  it('shows an unconfirmed email in the settings, and sends its link again', async () => {
    const { agent, account } = await registerInBrowser();
    await mail.next(account.email);
    const settings = await page(agent, '/settings');
    expect(settings.text).toContain('is not confirmed yet');
    await t.db.collection('users').updateMany({}, { $unset: { mailSentAt: 1 } });
    const sent = await agent
      .post('/settings/email/verification')
      .type('form')
      .send({ _csrf: settings.csrf })
      .expect(303);
    expect(sent.headers.location).toBe(`${t.config.publicUrl}/settings`);
    expect((await mail.next(account.email, 2)).subject).toContain('Confirm your email address');
  });

  it('recovers a forgotten password through the pages', async () => {
    const { account } = await registerInBrowser();
    const agent = request.agent(t.http);
    const signInPage = await page(agent, '/login');
    expect(signInPage.text).toContain('href="/forgot-password"');

    const forgot = await page(agent, '/forgot-password');
    const asked = await agent
      .post('/forgot-password')
      .type('form')
      .send({ _csrf: forgot.csrf, email: account.email })
      .expect(303);
    expect(asked.headers.location).toBe(`${t.config.publicUrl}/login`);
    const link = linkIn(await mail.next(account.email, 2), '/reset-password');

    const form = await page(agent, pathOf(link));
    const token = link.searchParams.get('token');
    const mismatch = await agent
      .post('/reset-password')
      .type('form')
      .send({ _csrf: form.csrf, token, newPassword: NEW_PASSWORD, newPasswordConfirm: 'other' })
      .expect(400);
    expect(mismatch.text).toMatch(
      /id="newPasswordConfirm-error">The two passwords are not the same/,
    );
    const weak = await agent
      .post('/reset-password')
      .type('form')
      .send({ _csrf: form.csrf, token, newPassword: 'short', newPasswordConfirm: 'short' })
      .expect(400);
    expect(weak.text).toMatch(/id="newPassword-error">/);

    const done = await agent
      .post('/reset-password')
      .type('form')
      .send({
        _csrf: form.csrf,
        token,
        newPassword: NEW_PASSWORD,
        newPasswordConfirm: NEW_PASSWORD,
      })
      .expect(303);
    expect(done.headers.location).toBe(`${t.config.publicUrl}/login`);
    await login(t.http, account.email, NEW_PASSWORD);
    await page(agent, pathOf(link), 400);
  });

  it('answers the forgot form the same for an unknown address', async () => {
    const agent = request.agent(t.http);
    const forgot = await page(agent, '/forgot-password');
    const asked = await agent
      .post('/forgot-password')
      .type('form')
      .send({ _csrf: forgot.csrf, email: newAccount().email })
      .expect(303);
    expect(asked.headers.location).toBe(`${t.config.publicUrl}/login`);
    const invalid = await agent
      .post('/forgot-password')
      .type('form')
      .send({ _csrf: forgot.csrf, email: 'not an email' })
      .expect(400);
    expect(invalid.text).toMatch(/id="email-error">/);
  });
});
