import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { screenshot, watchForRefusals } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';
import { SampleApp, startSampleApp } from '../support/sample-app';

const PASSWORD = 'correct horse battery staple';

/**
 * An app of another party (`first_party: false`) signing its users in through this service: the
 * consent page in a real browser (no script, nothing refused under its policy), Allow and back to
 * the app, then the app in the settings' "Apps with access", removed there.
 */
describe('the consent page of an app of another party, in a real browser', () => {
  let partner: SampleApp;
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let refused: string[];

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    partner = await startSampleApp({ clientId: 'partner-app' });
    fixture = await browserWithLiveApp({
      env: { OIDC_CLIENTS: JSON.stringify([{ ...partner.client, first_party: false }]) },
    });
    ({ live, chromium } = fixture);
    partner.useIssuer(live.url);
  });
  afterAll(async () => {
    await fixture?.close();
    await partner?.close();
  });
  beforeEach(async () => {
    refused = [];
    context = await chromium.newContext();
    page = await context.newPage();
    watchForRefusals(page, refused);
  });
  afterEach(async () => {
    await context.close();
    expect(refused).toEqual([]);
  });

  const path = () => new URL(page.url()).pathname;

  it('asks, and Allow signs in to the app; the settings list it, and Remove takes its access away', async () => {
    const email = 'grace.consent@example.test';
    await request(live.url).post('/auth/register').send({ email, password: PASSWORD }).expect(201);

    await page.goto(`${partner.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email or username').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.waitForURL(/\/oauth2\/interaction\/[\w-]+\/consent$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Allow Sample App to use your account?',
    );
    await expect(page.locator('.consent-scopes li').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['Know who you are here (your account ID)']),
    );
    await screenshot(page, 'consent-page');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${partner.url}/`);
    await expect(page.locator('#signed-in-as').textContent()).resolves.toBe(
      `Signed in as ${email}`,
    );

    await page.goto(`${live.url}/settings`);
    const apps = page.getByRole('region', { name: 'Apps with access' });
    await expect(apps.locator('.app-name').allTextContents()).resolves.toEqual(['Sample App']);
    await screenshot(page, 'settings-apps-with-access');
    await apps.getByRole('button', { name: "Remove Sample App's access" }).click();
    expect(path()).toBe('/settings');
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'The app no longer has access to your account',
    );
    await expect(apps.textContent()).resolves.toContain('No app has access to your account.');
  });
});
