import type { Browser, BrowserContext, Page } from 'playwright-core';
import { screenshot, watchForRefusals } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';
import { RelyingParty } from '../support/relying-party';
import { SampleApp, startSampleApp } from '../support/sample-app';

const PASSWORD = 'correct horse battery staple';

/**
 * The page that asks before an app's sign-out (RP-initiated logout without a hint proving the app
 * asks for this person), in a real browser: its form signs out, and goes back to the app only
 * when a valid hint names it.
 */
describe("the confirmation of an app's sign-out, in a real browser", () => {
  let sample: SampleApp;
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let refused: string[];

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    sample = await startSampleApp();
    fixture = await browserWithLiveApp({
      env: { OIDC_CLIENTS: JSON.stringify([sample.client]) },
    });
    ({ live, chromium } = fixture);
    sample.useIssuer(live.url);
  });
  afterAll(async () => {
    await fixture?.close();
    await sample?.close();
  });
  beforeEach(async () => {
    context = await chromium.newContext();
    page = await context.newPage();
    refused = [];
    watchForRefusals(page, refused);
  });
  afterEach(() => context.close());

  async function register(email: string) {
    await page.goto(`${live.url}/register`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(new URL(page.url()).pathname).toBe('/settings');
  }

  const stillSignedInHere = async () => {
    await page.goto(`${live.url}/settings`);
    return new URL(page.url()).pathname === '/settings';
  };

  it('a link without a hint asks; "Sign out" signs out here, to the signed-out page', async () => {
    await register('ada.confirm@example.test');
    await page.goto(`${live.url}/oauth2/logout?client_id=${sample.client.client_id}`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign out?');
    await expect(page.getByText('A page asks to sign you out').isVisible()).resolves.toBe(true);
    await screenshot(page, 'oauth-logout-confirm');
    await page.getByRole('button', { name: 'Sign out' }).last().click();
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.getByRole('status').textContent()).resolves.toBe('You are signed out.');
    await expect(stillSignedInHere()).resolves.toBe(false);
    expect(refused).toEqual([]);
  });

  it('"Stay signed in" leaves the session as it was', async () => {
    await register('grace.stays@example.test');
    await page.goto(`${live.url}/oauth2/logout`);
    await page.getByRole('link', { name: 'Stay signed in' }).click();
    await expect(stillSignedInHere()).resolves.toBe(true);
    expect(refused).toEqual([]);
  });

  it("a valid hint of someone else: asks, names the app, and goes back to it after (the form's redirect is allowed)", async () => {
    // Someone else's ID token for the sample app, signed in elsewhere.
    const app = new RelyingParty(live, sample.client);
    const other = await app.signedInBrowser();
    const hint = (await app.signIn(other.browser, 'openid')).id_token!;

    await register('katherine.asked@example.test');
    const url = new URL('/oauth2/logout', live.url);
    url.search = new URLSearchParams({
      id_token_hint: hint,
      post_logout_redirect_uri: `${sample.url}/`,
      state: 'come-back',
    }).toString();
    await page.goto(url.href);
    await expect(page.getByText('Sample App asks to sign you out').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Sign out' }).last().click();
    await page.waitForURL(`${sample.url}/?state=come-back`);
    await expect(stillSignedInHere()).resolves.toBe(false);
    expect(refused).toEqual([]);
  });
});
