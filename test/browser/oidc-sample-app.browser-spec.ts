import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { screenshot } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';
import { SampleApp, startSampleApp } from '../support/sample-app';

const PASSWORD = 'correct horse battery staple';

/**
 * Another app of the team (test/support/sample-app.ts, built on openid-client) signs its users in
 * through this service: the whole round trip in a real browser, with each way to sign in here, and
 * signing out of both from the app.
 */
describe('an app signing its users in through this service, in a real browser', () => {
  let sample: SampleApp;
  /** An app that takes the authorization response as a form post (response_mode=form_post). */
  let formPostApp: SampleApp;
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every address the tab was sent to (redirects included), in order. */
  let visited: string[];
  /** What the browser refused under a page's Content-Security-Policy (it says so on the console). */
  let blocked: string[];

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    // The app listens first: its addresses are registered when the service starts.
    sample = await startSampleApp();
    formPostApp = await startSampleApp({ clientId: 'form-post-app', responseMode: 'form_post' });
    fixture = await browserWithLiveApp({
      env: { OIDC_CLIENTS: JSON.stringify([sample.client, formPostApp.client]) },
    });
    ({ live, chromium } = fixture);
    sample.useIssuer(live.url);
    formPostApp.useIssuer(live.url);
  });
  afterAll(async () => {
    await fixture?.close();
    await formPostApp?.close();
    await sample?.close();
  });
  beforeEach(async () => {
    context = await chromium.newContext();
    page = await context.newPage();
    visited = [];
    blocked = [];
    page.on('request', (sent) => {
      if (sent.isNavigationRequest() && sent.frame() === page.mainFrame()) visited.push(sent.url());
    });
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) blocked.push(message.text());
    });
  });
  afterEach(() => context.close());

  /** Where the tab is, without the query. */
  const at = () => {
    const url = new URL(page.url());
    return url.origin + url.pathname;
  };
  const signedInAs = () => page.locator('#signed-in-as').textContent();
  /** The claims the app shows, as it got them (JSON values). */
  const claims = async () => {
    const names = await page.locator('#claims dt').allTextContents();
    const values = await page.locator('#claims dd').allTextContents();
    return Object.fromEntries(names.map((name, i) => [name, JSON.parse(values[i]) as unknown]));
  };
  const userId = async (email: string) =>
    (await live.t.db.collection('users').findOne({ email }))?._id.toHexString();

  /** Fills and sends the sign-in form of this service's page the browser is on (for `app`). */
  async function signIn(login: string, password: string, app = sample) {
    await page.getByLabel('Email or username').fill(login);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // The form's redirects lead back to the app, which the sign-in page's form-action must allow.
    await Promise.race([
      page.waitForURL(`${app.url}/`),
      page.waitForEvent('console', (message) => message.text().includes('Content Security')),
    ]).catch(() => undefined);
    expect(blocked).toEqual([]);
  }

  /** From the app's home page, signed out there, to this service's sign-in page. */
  async function startSignInAtTheApp() {
    await page.goto(`${sample.url}/`);
    await expect(page.getByText('You are not signed in.').isVisible()).resolves.toBe(true);
    await page.getByRole('link', { name: 'Sign in' }).click();
  }

  it('signs a password user in through our sign-in page, and not again the next time', async () => {
    const email = 'ada.sample@example.test';
    await request(live.url)
      .post('/auth/register')
      .send({ email, password: PASSWORD, name: 'Ada Lovelace' })
      .expect(201);

    await startSignInAtTheApp();
    expect(at()).toBe(`${live.url}/login`);
    expect(new URL(page.url()).searchParams.get('returnTo')).toMatch(
      /^\/oauth2\/interaction\/[\w-]+$/,
    );
    await screenshot(page, 'sample-app-our-sign-in-page');

    await signIn(email, PASSWORD);
    expect(page.url()).toBe(`${sample.url}/`);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${email}`);
    await expect(claims()).resolves.toMatchObject({
      iss: live.url,
      aud: sample.client.client_id,
      sub: await userId(email),
      email,
      email_verified: false,
      name: 'Ada Lovelace',
    });
    // It went the authorization code way: our authorize endpoint, then the app's callback.
    expect(visited.some((url) => url.startsWith(`${live.url}/oauth2/authorize?`))).toBe(true);
    expect(visited.some((url) => url.startsWith(`${sample.url}/callback?code=`))).toBe(true);
    await screenshot(page, 'sample-app-signed-in-with-password');

    // Signing in to the app again: straight back, without our sign-in page.
    visited = [];
    await page.goto(`${sample.url}/login`);
    expect(page.url()).toBe(`${sample.url}/`);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${email}`);
    expect(visited.some((url) => url.startsWith(`${live.url}/oauth2/authorize?`))).toBe(true);
    expect(visited.some((url) => url.startsWith(`${sample.url}/callback?code=`))).toBe(true);
    expect(visited.filter((url) => url.startsWith(`${live.url}/login`))).toEqual([]);
  });

  it('signs a social-only user in with "Continue with Google" on our sign-in page', async () => {
    const email = 'grace.sample@gmail.test';
    live.google.signInAs({ id: '8181', name: 'Grace Hopper', email });
    const authorizations = live.google.authorizeRequests.length;

    await startSignInAtTheApp();
    expect(at()).toBe(`${live.url}/login`);
    await page.getByRole('link', { name: 'Continue with Google' }).click();

    expect(page.url()).toBe(`${sample.url}/`);
    expect(live.google.authorizeRequests).toHaveLength(authorizations + 1);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${email}`);
    const account = await live.t.db.collection('users').findOne({ email });
    expect(account).not.toBeNull();
    expect(account).not.toHaveProperty('passwordHash');
    await expect(claims()).resolves.toMatchObject({
      sub: account?._id.toHexString(),
      email,
      email_verified: true,
      name: 'Grace Hopper',
    });
    await screenshot(page, 'sample-app-signed-in-with-google');
  });

  it("signs out of the app and of this service at once, back to the app's home page", async () => {
    const email = 'katherine.sample@example.test';
    // Registered through our page: the browser is signed in here already.
    await page.goto(`${live.url}/register`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(at()).toBe(`${live.url}/settings`);

    await startSignInAtTheApp();
    expect(page.url()).toBe(`${sample.url}/`);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${email}`);

    visited = [];
    await page.getByRole('link', { name: 'Sign out' }).click();
    // Through our logout, which sends the browser back to the registered address with the state.
    const logout = visited.find((url) => url.startsWith(`${live.url}/oauth2/logout?`));
    expect(logout).toBeDefined();
    const sent = new URL(logout!).searchParams;
    expect(sent.get('client_id')).toBe(sample.client.client_id);
    expect(sent.get('post_logout_redirect_uri')).toBe(`${sample.url}/`);
    expect(at()).toBe(`${sample.url}/`);
    expect(new URL(page.url()).searchParams.get('state')).toBe(sent.get('state'));
    await expect(page.getByRole('status').textContent()).resolves.toBe('You are signed out.');
    await expect(page.getByText('You are not signed in.').isVisible()).resolves.toBe(true);
    await expect(page.locator('#signed-in-as').count()).resolves.toBe(0);
    await screenshot(page, 'sample-app-signed-out');

    // Signed out here too: our settings send the browser to sign in…
    await page.goto(`${live.url}/settings`);
    expect(at()).toBe(`${live.url}/login`);
    // …and so does the app's next sign-in.
    await startSignInAtTheApp();
    expect(at()).toBe(`${live.url}/login`);
    await signIn(email, PASSWORD);
    expect(page.url()).toBe(`${sample.url}/`);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${email}`);
  });

  it('signs the next person in to the app as themselves after the first one signed out here', async () => {
    const first = 'first.switch@example.test';
    const second = 'second.switch@example.test';
    for (const email of [first, second]) {
      await request(live.url)
        .post('/auth/register')
        .send({ email, password: PASSWORD })
        .expect(201);
    }
    /** Navigations this service answered with an error (the app's request would be stuck). */
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.status() >= 400) {
        failed.push(`${response.status()} ${response.url()}`);
      }
    });

    await startSignInAtTheApp();
    await signIn(first, PASSWORD);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${first}`);

    // The first person signs out on this service's pages (the app does not hear of it)…
    await page.goto(`${live.url}/settings`);
    await page
      .getByRole('navigation', { name: 'Account' })
      .getByRole('button', { name: 'Sign out' })
      .click();
    await page.waitForURL((url) => url.pathname === '/login');
    // …and the next one signs in here, in the same browser.
    await page.getByLabel('Email or username').fill(second);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname !== '/login');

    // The app asks again: straight back, signed in as the second person.
    visited = [];
    await page.goto(`${sample.url}/login`);
    expect(page.url()).toBe(`${sample.url}/`);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${second}`);
    await expect(claims()).resolves.toMatchObject({ sub: await userId(second), email: second });
    expect(visited.filter((url) => url.startsWith(`${live.url}/login`))).toEqual([]);
    expect(failed).toEqual([]);
    await screenshot(page, 'sample-app-next-person-signed-in');
  });

  // Many server-side frameworks ask for it: our answer is a page whose script posts the form to
  // the app, which this service's Content-Security-Policy must let run and submit.
  it('signs the person in to an app that takes the response as a form post, posted by our page', async () => {
    const email = 'form.post@example.test';
    await request(live.url).post('/auth/register').send({ email, password: PASSWORD }).expect(201);
    const posted: string[] = [];
    page.on('request', (sent) => {
      if (sent.method() === 'POST' && sent.url().startsWith(formPostApp.url)) {
        posted.push(sent.url());
      }
    });

    await page.goto(`${formPostApp.url}/login`);
    await signIn(email, PASSWORD, formPostApp);
    expect(posted).toEqual([`${formPostApp.url}/callback`]);
    expect(page.url()).toBe(`${formPostApp.url}/`);
    await expect(signedInAs()).resolves.toBe(`Signed in as ${email}`);
  });
});
