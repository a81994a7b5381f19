import type { Browser, BrowserContext, Page } from 'playwright-core';
import { screenshot } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';

const PASSWORD = 'correct horse battery staple';
const LAPTOP =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** Two browsers (a laptop and a phone) signed in to one account; the laptop signs the phone out. */
describe('signing out another device from the settings page, in a real browser', () => {
  let live: LiveApp;
  let chromium: Browser;
  const contexts: BrowserContext[] = [];

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    fixture = await browserWithLiveApp();
    ({ live, chromium } = fixture);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await fixture?.close();
  });

  async function device(userAgent: string): Promise<Page> {
    const context = await chromium.newContext({ baseURL: live.url, userAgent });
    contexts.push(context);
    return context.newPage();
  }
  const path = (page: Page) => new URL(page.url()).pathname;

  it('lists both devices and ends the other one, which must sign in again', async () => {
    const laptop = await device(LAPTOP);
    await laptop.goto('/register');
    await laptop.getByLabel('Email').fill('two.devices@example.test');
    await laptop.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await laptop.getByLabel('Password again').fill(PASSWORD);
    await laptop.getByRole('button', { name: 'Create account' }).click();
    expect(path(laptop)).toBe('/settings');

    const phone = await device(PHONE);
    await phone.goto('/login');
    await phone.getByLabel('Email or username').fill('two.devices@example.test');
    await phone.getByLabel('Password').fill(PASSWORD);
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(path(phone)).toBe('/');

    await laptop.reload();
    const rows = laptop.locator('.sessions li');
    await expect(rows.count()).resolves.toBe(2);
    const phoneRow = rows.filter({ hasText: 'Safari on iOS' });
    const laptopRow = rows.filter({ hasText: 'Chrome on Linux' });
    await expect(laptopRow.textContent()).resolves.toContain('This device');
    await expect(phoneRow.textContent()).resolves.not.toContain('This device');
    await expect(phoneRow.textContent()).resolves.toContain('Password');
    await screenshot(laptop, 'settings-sessions-two-devices');

    // Screen readers hear which session each button is for.
    const signOutPhone = phoneRow.getByRole('button', {
      name: /^Sign out Safari on iOS, signed in/,
    });
    await signOutPhone.click();
    expect(path(laptop)).toBe('/settings');
    await expect(laptop.getByRole('status').textContent()).resolves.toContain(
      'That session is signed out.',
    );
    await expect(rows.count()).resolves.toBe(1);
    await expect(
      laptop.getByText('You are signed in on this device only.').isVisible(),
    ).resolves.toBe(true);
    await screenshot(laptop, 'settings-sessions-after-signing-out-the-phone');

    // The phone is signed out: its settings send it to the sign-in page.
    await phone.goto('/settings');
    expect(path(phone)).toBe('/login');
    // The laptop is not.
    await laptop.goto('/settings');
    expect(path(laptop)).toBe('/settings');
  });
});
