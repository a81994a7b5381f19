import { Types } from 'mongoose';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { screenshot, watchForRefusals } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';
import { SampleApp, startSampleApp } from '../support/sample-app';

const PASSWORD = 'correct horse battery staple';
const AN_HOUR = 3600_000;
/** The browser's WebAuthn global in functions run in the page (the tests have no DOM types). */
interface InPage {
  PublicKeyCredential: { isConditionalMediationAvailable(): Promise<boolean> };
}

/** How long a ceremony may take in the page: options, the authenticator, the answer, the next page. */
const CEREMONY_MS = 15_000;

/**
 * The passkey pages in real Chromium, with its virtual authenticator (the DevTools protocol's
 * WebAuthn domain): a platform authenticator that holds discoverable credentials, verifies the
 * user and answers at once. The pages' only script is the service's own file, under a CSP that
 * allows nothing else: every test fails on a violation the browser reports, or a script error.
 */
describe('passkeys in the pages, in a real browser', () => {
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  /** What the browser refused under the pages' Content-Security-Policy, and the script's errors. */
  let refused: string[];

  /** An app of the team that signs its users in here (OpenID Connect). */
  let sample: SampleApp;

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    // The app listens first: its addresses are registered when the service starts.
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
    refused = [];
    context = await chromium.newContext({ baseURL: live.url });
    page = await newTab();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
  });
  afterEach(async () => {
    await context.close();
    expect(refused).toEqual([]);
  });

  async function newTab(): Promise<Page> {
    const tab = await context.newPage();
    watchForRefusals(tab, refused);
    return tab;
  }

  const users = () => live.t.db.collection('users');
  const sessions = () => live.t.db.collection('sessions');
  const path = () => new URL(page.url()).pathname;
  const notice = () => page.getByRole('status').textContent();
  const passkeyRows = () => page.locator('.passkeys li');

  async function account(email: string) {
    const user = await users().findOne({ email });
    if (!user) throw new Error(`no account for ${email}`);
    return user;
  }

  /** The credentials the virtual authenticator holds. */
  async function credentialsHeld(): Promise<number> {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    return credentials.length;
  }

  /** The account's sessions, newest last, as the database holds them. */
  async function sessionsOf(email: string) {
    const { _id } = await account(email);
    return sessions()
      .find({ userId: new Types.ObjectId(String(_id)) })
      .sort({ createdAt: 1 })
      .toArray();
  }

  /** Clicks something whose script leads to another page, and waits for that page. */
  async function clickAndLand(name: string | RegExp, at: string | RegExp, exact = false) {
    await Promise.all([
      page.waitForURL(at, { timeout: CEREMONY_MS }),
      page.getByRole('button', { name, exact }).click(),
    ]);
  }

  async function signUpWithPasskey(email: string, username?: string) {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    if (username) await page.getByLabel('Username').fill(username);
    await clickAndLand('Use a passkey instead of a password', '**/settings?notice=registered');
  }

  async function signUpWithPassword(email: string) {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(path()).toBe('/settings');
  }

  async function signOut() {
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    expect(path()).toBe('/login');
  }

  /** Time passes: every sign-in of the account is an hour old, so no longer recent. */
  async function ageSignIns(email: string) {
    const { _id } = await account(email);
    const { modifiedCount } = await sessions().updateMany(
      { userId: new Types.ObjectId(String(_id)) },
      { $set: { authenticatedAt: new Date(Date.now() - AN_HOUR) } },
    );
    expect(modifiedCount).toBeGreaterThan(0);
  }

  it('creates an account with a passkey instead of a password', async () => {
    const email = 'grace.passkey@example.test';
    await page.goto('/register');
    // The passkey option is there once the script found the browser able to make one.
    const usePasskey = page.getByRole('button', { name: 'Use a passkey instead of a password' });
    await expect(usePasskey.isVisible()).resolves.toBe(true);
    await screenshot(page, 'register-with-passkey');

    // Email and username, and a name: no password.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Username').fill('grace_h');
    await page.getByLabel(/^Name/).fill('Grace Hopper');
    await clickAndLand('Use a passkey instead of a password', '**/settings?notice=registered');
    await expect(notice()).resolves.toBe('Welcome! Your account is ready.');
    expect(await credentialsHeld()).toBe(1);

    const user = await account(email);
    expect(user).not.toHaveProperty('passwordHash');
    expect(user.username).toBe('grace_h');
    expect(user.name).toBe('Grace Hopper');
    expect(user.emailVerified).toBe(false);
    expect(user.passkeys).toHaveLength(1);
    const [session] = await sessionsOf(email);
    expect(session.method).toBe('passkey');

    // The settings list it; being the only way in, it cannot be removed, and the page says why.
    await expect(passkeyRows().count()).resolves.toBe(1);
    await expect(passkeyRows().locator('.passkey-name').textContent()).resolves.toBe('Passkey');
    await expect(passkeyRows().textContent()).resolves.toContain('Never');
    const remove = page.getByRole('button', { name: 'Remove Passkey' });
    await expect(remove.isDisabled()).resolves.toBe(true);
    await expect(page.locator(`#passkey-why-${user.passkeys[0].id}`).textContent()).resolves.toBe(
      'This passkey is your only way to sign in. Set a password, connect a provider or add another passkey before removing it.',
    );
    await expect(page.locator('.sessions').textContent()).resolves.toContain('Passkey');
    await screenshot(page, 'settings-passkey-only');
  });

  it('shows a refused sign-up in the page, and makes no passkey', async () => {
    await signUpWithPassword('taken.address@example.test');
    await signOut();
    await page.goto('/register');
    await page.getByLabel('Email').fill('taken.address@example.test');
    await page.getByRole('button', { name: 'Use a passkey instead of a password' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: CEREMONY_MS });
    await expect(alert.textContent()).resolves.toMatch(/already/i);
    expect(path()).toBe('/register');
    expect(await credentialsHeld()).toBe(0);
    await screenshot(page, 'register-with-passkey-refused');
  });

  it('signs in with the "Sign in with a passkey" button, to returnTo when there is one', async () => {
    // A browser without passkey autofill, so that the button alone signs in.
    await page.addInitScript(() => {
      (globalThis as unknown as InPage).PublicKeyCredential.isConditionalMediationAvailable = () =>
        Promise.resolve(false);
    });
    const email = 'button.sign-in@example.test';
    await signUpWithPasskey(email);
    await signOut();
    await expect(
      page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible(),
    ).resolves.toBe(true);
    // Signed out, and the page stays signed out until the button is used.
    await page.waitForTimeout(500);
    expect(path()).toBe('/login');
    expect(await sessionsOf(email)).toHaveLength(0);

    await clickAndLand('Sign in with a passkey', '**/?notice=signed-in');
    expect(path()).toBe('/');
    await expect(notice()).resolves.toBe('You are signed in.');
    await expect(page.getByRole('navigation').textContent()).resolves.toContain('Settings');
    const latest = (await sessionsOf(email)).at(-1)!;
    expect(latest.method).toBe('passkey');
    expect((await account(email)).passkeys[0].lastUsedAt).toBeInstanceOf(Date);

    // From a page that needs a session: back there after the passkey, as after a password.
    await signOut();
    await page.goto('/settings');
    expect(path()).toBe('/login');
    await clickAndLand('Sign in with a passkey', '**/settings');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Settings');
    await expect(passkeyRows().textContent()).resolves.not.toContain('Never');
  });

  it("signs in to an app of the team with a passkey, through this service's sign-in page", async () => {
    // A browser without passkey autofill, so that the button alone signs in.
    await page.addInitScript(() => {
      (globalThis as unknown as InPage).PublicKeyCredential.isConditionalMediationAvailable = () =>
        Promise.resolve(false);
    });
    const email = 'app.passkey@example.test';
    await signUpWithPasskey(email);
    await signOut();

    await page.goto(`${sample.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    expect(page.url()).toMatch(new RegExp(`^${live.url}/login\\?`));
    expect(new URL(page.url()).searchParams.get('returnTo')).toMatch(
      /^\/oauth2\/interaction\/[\w-]+$/,
    );
    // The passkey's success follows the interaction's returnTo, back to the app, signed in.
    await clickAndLand('Sign in with a passkey', `${sample.url}/`);
    await expect(page.locator('#signed-in-as').textContent()).resolves.toBe(
      `Signed in as ${email}`,
    );
  });

  it("signs in from the browser's autofill in the login field (conditional mediation)", async () => {
    // The sign-in page before there is a passkey: the field asks for the autofill's passkeys too.
    await page.goto('/login');
    const login = page.getByLabel('Email or username');
    await expect(login.getAttribute('autocomplete')).resolves.toBe('username webauthn');
    await expect(
      page.evaluate(() =>
        (globalThis as unknown as InPage).PublicKeyCredential.isConditionalMediationAvailable(),
      ),
    ).resolves.toBe(true);

    const email = 'autofill.sign-in@example.test';
    await signUpWithPasskey(email);
    const [signUpSession] = await sessionsOf(email);
    // Signing out leads to the sign-in page, whose script starts the conditional request. The
    // virtual authenticator answers it by itself, with the field focused or not (a person would
    // pick the passkey in the field's autofill): nobody clicks anything, and the browser is in.
    const landed = page.waitForURL('**/?notice=signed-in', { timeout: CEREMONY_MS });
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    if (path() === '/login') await login.focus().catch(() => undefined);
    await landed;
    await expect(notice()).resolves.toBe('You are signed in.');
    // The sign-up's session ended with the sign-out; this one is the passkey's.
    const all = await sessionsOf(email);
    expect(all).toHaveLength(1);
    expect(all[0].publicId).not.toBe(signUpSession.publicId);
    expect(all[0].method).toBe('passkey');
  });

  it('adds passkeys from the settings, renames one, and removes one, but never the last way in', async () => {
    const email = 'settings.passkeys@gmail.test';
    const google = { id: '8101', name: 'Settings Passkeys', email };
    live.google.signInAs(google);
    await page.goto('/login');
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    expect(path()).toBe('/');
    await page.goto('/settings');
    await expect(page.getByText('You have no passkeys yet.').isVisible()).resolves.toBe(true);

    // Add one, named.
    await page.getByLabel('Passkey name').fill('Laptop');
    await clickAndLand('Add a passkey', '**/settings?notice=passkey-added');
    await expect(notice()).resolves.toBe('Your passkey is added. You can now sign in with it.');
    await expect(passkeyRows().count()).resolves.toBe(1);
    await expect(passkeyRows().locator('.passkey-name').textContent()).resolves.toBe('Laptop');
    expect(await credentialsHeld()).toBe(1);
    await screenshot(page, 'settings-passkey-added');

    // The same authenticator again: it already holds one for this account, and says so.
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const alert = page.locator('[data-passkeys="add"]').getByRole('alert');
    await alert.waitFor({ timeout: CEREMONY_MS });
    await expect(alert.textContent()).resolves.toBe(
      'This device already holds a passkey for this account.',
    );
    expect((await account(email)).passkeys).toHaveLength(1);

    // Rename it; an empty name is refused under its field.
    await page.getByLabel('New name for Laptop').fill('');
    await page.getByRole('button', { name: 'Rename Laptop' }).click();
    await expect(page.locator('.passkeys .field-error').textContent()).resolves.toBe(
      'Please fill in this field.',
    );
    await expect(page.getByLabel('New name for Laptop').getAttribute('aria-invalid')).resolves.toBe(
      'true',
    );
    await page.getByLabel('New name for Laptop').fill('Work laptop');
    await page.getByRole('button', { name: 'Rename Laptop' }).click();
    expect(path()).toBe('/settings');
    await expect(notice()).resolves.toBe('Your passkey is renamed.');
    await expect(passkeyRows().locator('.passkey-name').textContent()).resolves.toBe('Work laptop');
    expect((await account(email)).passkeys[0].name).toBe('Work laptop');

    // With Google connected, the passkey may go; Google may go too, as the passkey stays.
    const removePasskey = page.getByRole('button', { name: 'Remove Work laptop' });
    await expect(removePasskey.isEnabled()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Disconnect Google' }).isEnabled()).resolves.toBe(
      true,
    );

    // Two tabs: this one still offers to remove the passkey while the other disconnects Google.
    const other = await newTab();
    await other.goto('/settings');
    await other.getByRole('button', { name: 'Disconnect Google' }).click();
    await expect(other.getByRole('status').textContent()).resolves.toBe(
      'The provider is disconnected.',
    );
    await other.close();

    // Now the passkey is the last way in: refused with the reason, and nothing changed.
    await removePasskey.click();
    expect(path()).toMatch(/^\/settings\/passkeys\/[\w-]+\/remove$/);
    const passkeysSection = page.locator('section[aria-labelledby="passkeys-heading"]');
    await expect(passkeysSection.getByRole('alert').textContent()).resolves.toBe(
      'This passkey is your only way to sign in. Set a password, connect a provider or add another passkey before removing it.',
    );
    expect((await account(email)).passkeys).toHaveLength(1);
    // The page now shows the button off, with the same reason.
    await expect(removePasskey.isDisabled()).resolves.toBe(true);
    await screenshot(page, 'settings-last-passkey-refused');

    // Google again, and the passkey goes.
    live.google.signInAs(google);
    await page.getByRole('button', { name: 'Connect Google' }).click();
    await expect(notice()).resolves.toContain('The provider is connected');
    await page.getByRole('button', { name: 'Remove Work laptop' }).click();
    expect(path()).toBe('/settings');
    await expect(notice()).resolves.toBe(
      'Your passkey is removed. It no longer signs in to this account.',
    );
    await expect(passkeyRows().count()).resolves.toBe(0);
    expect((await account(email)).passkeys).toEqual([]);
  });

  it("asks to confirm it's you before adding or removing one, and takes the passkey for it", async () => {
    const email = 'confirm.passkey@example.test';
    await signUpWithPasskey(email);
    await page.getByRole('button', { name: 'Set password' }).waitFor();
    await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('New password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await ageSignIns(email);

    // Adding with an old sign-in: the script leads to the "confirm it's you" step.
    await page.goto('/settings');
    await clickAndLand('Add a passkey', '**/settings/confirm');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      "Confirm it's you",
    );
    await expect(page.getByLabel('Your password').isVisible()).resolves.toBe(true);
    const confirmWithPasskey = page.getByRole('button', { name: 'Confirm with a passkey' });
    await expect(confirmWithPasskey.isVisible()).resolves.toBe(true);
    await screenshot(page, 'confirm-step-passkey');

    // Removing it with an old sign-in: the same step, where the form was sent.
    await page.goto('/settings');
    await page.getByRole('button', { name: 'Remove Passkey' }).click();
    expect(path()).toMatch(/^\/settings\/passkeys\/[\w-]+\/remove$/);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      "Confirm it's you",
    );
    expect((await account(email)).passkeys).toHaveLength(1);

    // The passkey confirms it: back on the settings, the sign-in recent again.
    await clickAndLand('Confirm with a passkey', '**/settings?notice=reauthenticated');
    await expect(notice()).resolves.toBe("Thanks, that's confirmed. You can now make your change.");
    const [session] = await sessionsOf(email);
    expect((session.authenticatedAt as Date).getTime()).toBeGreaterThan(Date.now() - 60_000);

    await page.getByRole('button', { name: 'Remove Passkey' }).click();
    await expect(notice()).resolves.toBe(
      'Your passkey is removed. It no longer signs in to this account.',
    );
    expect((await account(email)).passkeys).toEqual([]);
  });
});
