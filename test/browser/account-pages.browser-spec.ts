import type { Browser, BrowserContext, Page } from 'playwright-core';
import { screenshot } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a second passphrase, longer still';

describe('account pages in a real browser', () => {
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    fixture = await browserWithLiveApp();
    ({ live, chromium } = fixture);
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    context = await chromium.newContext({ baseURL: live.url });
    page = await context.newPage();
  });
  afterEach(() => context.close());

  const notice = () => page.getByRole('status');

  async function registerThenSignOut(email: string) {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
  }

  /** Fills and sends the sign-in form of the page the browser is on. */
  async function signIn(login: string, password: string) {
    await page.getByLabel('Email or username').fill(login);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  const path = () => new URL(page.url()).pathname;

  it('takes a person from registration to deletion, under the never-lock-out rule', async () => {
    // Register with a password.
    await page.goto('/register');
    await page.getByLabel('Email').fill('ada.browser@example.test');
    await page.getByLabel('Username').fill('ada_browser');
    await page.getByLabel(/^Name/).fill('Ada');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(path()).toBe('/settings');
    await expect(notice().textContent()).resolves.toContain('Your account is ready');

    // Sign out, then sign in with the username.
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    expect(path()).toBe('/login');
    await expect(notice().textContent()).resolves.toContain('You are signed out');
    await page.getByLabel('Email or username').fill('ada_browser');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(path()).toBe('/');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Hello, Ada');

    // Change the name.
    await page.goto('/settings');
    await page.getByLabel(/^Name/).fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect(notice().textContent()).resolves.toContain('Your profile is saved');
    await expect(page.getByLabel(/^Name/).inputValue()).resolves.toBe('Ada Lovelace');

    // Connect Google through the local emulator.
    live.google.signInAs({ id: '4242', name: 'Ada Lovelace', email: 'ada@gmail.test' });
    await page.getByRole('button', { name: 'Connect Google' }).click();
    expect(path()).toBe('/settings');
    await expect(notice().textContent()).resolves.toContain('The provider is connected');
    await expect(
      page.locator('.connections li', { hasText: 'Google' }).textContent(),
    ).resolves.toContain('Connected');
    await screenshot(page, 'settings-password-and-google');

    // Remove the password: allowed, Google remains.
    await page.getByRole('button', { name: 'Remove password' }).click();
    await expect(notice().textContent()).resolves.toContain('Your password is removed');

    // Disconnecting Google now would lock the account: refused, and the page says why.
    const disconnect = page.getByRole('button', { name: 'Disconnect Google' });
    await expect(disconnect.isDisabled()).resolves.toBe(true);
    await expect(page.locator('#why-google').textContent()).resolves.toContain(
      'Google is your only way to sign in. Set a password, connect another provider or add a passkey',
    );
    await screenshot(page, 'settings-google-only');

    // Set a password again (a recent sign-in allows it without the old one).
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await expect(notice().textContent()).resolves.toContain('Your password is set');

    // Now disconnecting Google is allowed.
    await page.getByRole('button', { name: 'Disconnect Google' }).click();
    await expect(notice().textContent()).resolves.toContain('The provider is disconnected');
    await expect(page.getByRole('button', { name: 'Connect Google' }).isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'settings-password-only');

    // Delete the account, through its confirmation step.
    await page.getByRole('link', { name: 'Delete my account…' }).click();
    expect(path()).toBe('/settings/delete');
    await expect(page.locator('.warning').textContent()).resolves.toContain(
      'This cannot be undone',
    );
    await page.getByLabel('Your password, to confirm').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Delete my account for good' }).click();
    expect(path()).toBe('/login');
    await expect(notice().textContent()).resolves.toContain('deleted');
    expect(await live.t.db.collection('users').countDocuments({ username: 'ada_browser' })).toBe(0);

    // Signing in fails now.
    await page.getByLabel('Email or username').fill('ada_browser');
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    const response = page.waitForResponse(
      (r) => r.url().endsWith('/login') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect((await response).status()).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'The login or password is incorrect',
    );
    await expect(page.getByLabel('Email or username').inputValue()).resolves.toBe('ada_browser');
  });

  it('creates a social-only account through a provider button', async () => {
    live.google.signInAs({ id: '5151', name: 'Grace Hopper', email: 'grace@gmail.test' });
    await page.goto('/login');
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    expect(path()).toBe('/');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Hello, Grace Hopper',
    );
    await expect(page.locator('.facts').textContent()).resolves.toContain('Google');

    await page.goto('/settings');
    await expect(page.getByText('Your account has no password').isVisible()).resolves.toBe(true);
    await expect(
      page.getByRole('button', { name: 'Disconnect Google' }).isDisabled(),
    ).resolves.toBe(true);
    await screenshot(page, 'settings-social-only');
  });

  it('shows form errors next to their fields, keeping what was typed, until the form is right', async () => {
    await page.goto('/register');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel(/^Name/).fill('Typed Name');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Password again').fill('different');
    const response = page.waitForResponse(
      (r) => r.url().endsWith('/register') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Create account' }).click();
    expect((await response).status()).toBe(400);
    await expect(page.locator('#email-error').textContent()).resolves.toContain('valid email');
    await expect(page.locator('#password-error').textContent()).resolves.toContain(
      'at least 15 characters',
    );
    await expect(page.getByLabel('Email').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe('not-an-email');
    await expect(page.getByLabel(/^Name/).inputValue()).resolves.toBe('Typed Name');
    await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
    await screenshot(page, 'register-errors');

    await page.getByLabel('Email').fill('typed.name@example.test');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(path()).toBe('/settings');
    await expect(page.getByLabel(/^Name/).inputValue()).resolves.toBe('Typed Name');
    await screenshot(page, 'settings-after-corrected-registration');
  });

  it('explains in words why a provider sign-in was refused, and the way out works', async () => {
    // Someone registered this email with a password and confirmed it; signing in with Google for it
    // is refused… (an unconfirmed one would go to whoever Google vouches for: see pre-hijacking)
    await registerThenSignOut('mary@example.test');
    await live.t.db
      .collection('users')
      .updateOne({ email: 'mary@example.test' }, { $set: { emailVerified: true } });

    live.google.signInAs({ id: '6363', name: 'Mary', email: 'mary@example.test' });
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    expect(path()).toBe('/login');
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'An account with that email address already exists. Sign in to it with its password, then connect the provider from your settings.',
    );

    // …and doing what the message says connects Google to that account.
    await signIn('mary@example.test', PASSWORD);
    await page.goto('/settings');
    await page.getByRole('button', { name: 'Connect Google' }).click();
    await expect(notice().textContent()).resolves.toContain('The provider is connected');
    await screenshot(page, 'settings-after-linking-as-advised');
  });

  it('sends a signed-out visitor from settings to the sign-in page and back', async () => {
    await registerThenSignOut('back@example.test');

    await page.goto('/settings');
    expect(path()).toBe('/login');
    expect(new URL(page.url()).searchParams.get('returnTo')).toBe('/settings');
    await signIn('back@example.test', PASSWORD);
    expect(path()).toBe('/settings');
    await screenshot(page, 'settings-after-returning');
  });
});
