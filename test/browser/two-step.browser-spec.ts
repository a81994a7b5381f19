import { Types } from 'mongoose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCodeOf } from '../../src/sign-in/two-step/totp';
import { screenshot, watchForRefusals } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';
import { SampleApp, startSampleApp } from '../support/sample-app';

const PASSWORD = 'correct horse battery staple';
const AN_HOUR = 3600_000;

/**
 * Two-step sign-in in real Chromium: turned on from the settings (the QR code, the key, a first
 * code, the recovery codes shown once), the second step after the password, a recovery code that
 * works once, new codes after confirming it's you, and turning it off. The pages run no script but
 * the service's own file: every test fails on a violation of their Content-Security-Policy.
 */
describe('two-step sign-in in the pages, in a real browser', () => {
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  /** What the browser refused under the pages' Content-Security-Policy, and script errors. */
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
    page = await context.newPage();
    watchForRefusals(page, refused);
  });
  afterEach(async () => {
    await context.close();
    expect(refused).toEqual([]);
  });

  const users = () => live.t.db.collection('users');
  const path = () => new URL(page.url()).pathname;
  const heading = () => page.getByRole('heading', { level: 1 }).textContent();
  const notice = () => page.getByRole('status').textContent();
  /** The id of the element that has the focus (the tests have no DOM types). */
  const focused = () => page.evaluate<string | undefined>('document.activeElement?.id');

  async function account(email: string) {
    const user = await users().findOne({ email });
    if (!user) throw new Error(`no account for ${email}`);
    return user;
  }

  async function register(email: string) {
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

  /** The password form of /login (the one the tab is on, unless `fresh`): its answer is the second step's page when two-step is on. */
  async function signInWithPassword(email: string, { fresh = true } = {}) {
    if (fresh) await page.goto('/login');
    await page.getByLabel('Email or username').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    // "Sign in with a passkey" is a button too.
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** Time passes: the last code's time step is long gone, so the app's next code is a new one. */
  async function timePasses(email: string) {
    await users().updateOne({ email }, { $unset: { 'twoStep.lastStep': 1 } });
  }

  /** Every sign-in of the account is an hour old, so no longer recent. */
  async function ageSignIns(email: string) {
    const { _id } = await account(email);
    const { modifiedCount } = await live.t.db
      .collection('sessions')
      .updateMany(
        { userId: new Types.ObjectId(String(_id)) },
        { $set: { authenticatedAt: new Date(Date.now() - AN_HOUR) } },
      );
    expect(modifiedCount).toBeGreaterThan(0);
  }

  /** The recovery codes the page shows, in order. */
  async function recoveryCodesShown(): Promise<string[]> {
    return page.locator('.recovery-codes code').allTextContents();
  }

  /** Turns two-step sign-in on from the settings; its key, read from the page, and the codes. */
  async function turnOn(email: string) {
    await page.goto('/settings');
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    expect(path()).toBe('/settings/two-step');
    const secret = (await page.locator('#two-step-secret').textContent())!.replace(/\s/g, '');
    const right = totpCodeOf(secret);
    await page.getByLabel('Code from your app').fill(right);
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(heading()).resolves.toBe('Two-step sign-in is on');
    const recoveryCodes = await recoveryCodesShown();
    await timePasses(email);
    return { secret, recoveryCodes };
  }

  it('turns it on from the settings, then asks for a code after the password', async () => {
    const email = 'ada.two.step@example.test';
    await register(email);
    await expect(page.getByRole('heading', { name: 'Two-step sign-in' }).isVisible()).resolves.toBe(
      true,
    );
    await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    expect(path()).toBe('/settings/two-step');
    // The QR code is drawn, and the field for the first code has the focus.
    const qr = page.getByRole('img', { name: /QR code/ });
    await expect(qr.locator('svg path').count()).resolves.toBeGreaterThan(0);
    const box = await qr.locator('svg').boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    await expect(focused()).resolves.toBe('code');
    const code = page.getByLabel('Code from your app');
    await expect(code.getAttribute('inputmode')).resolves.toBe('numeric');
    await expect(code.getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await screenshot(page, 'two-step-set-up');

    // The key, as a person would type it into their app.
    const secret = (await page.locator('#two-step-secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const right = totpCodeOf(secret);
    await code.fill(right === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(page.locator('#code-error').textContent()).resolves.toBe(
      'The code is incorrect or was already used.',
    );
    expect((await account(email)).twoStep.enabled).toBe(false);

    await page.getByLabel('Code from your app').fill(right);
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await expect(heading()).resolves.toBe('Two-step sign-in is on');
    const recoveryCodes = await recoveryCodesShown();
    expect(recoveryCodes).toHaveLength(10);
    await expect(page.getByText('This is the only time we show them').isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'two-step-recovery-codes');

    await page.getByRole('link', { name: /back to settings/ }).click();
    expect(path()).toBe('/settings');
    await expect(page.locator('#recovery-codes-left').textContent()).resolves.toBe(
      'You have 10 of your recovery codes left.',
    );
    // Shown once: not on the settings page.
    await expect(page.content()).resolves.not.toContain(recoveryCodes[0]);
    await screenshot(page, 'settings-two-step-on');

    await signOut();
    await timePasses(email);
    await signInWithPassword(email);
    expect(path()).toBe('/login/second-factor');
    await expect(focused()).resolves.toBe('code');
    await screenshot(page, 'second-factor');
    // No session yet: the settings still ask to sign in.
    const waiting = await context.newPage();
    await waiting.goto('/settings');
    expect(new URL(waiting.url()).pathname).toBe('/login');
    await waiting.close();

    await page.getByLabel('Code from your app').fill(totpCodeOf(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(path()).toBe('/');
    await expect(notice()).resolves.toBe('You are signed in.');
    const latest = await live.t.db
      .collection('sessions')
      .findOne({ userId: (await account(email))._id }, { sort: { createdAt: -1 } });
    expect(latest).toMatchObject({ method: 'password', secondFactor: 'totp' });
  });

  it('takes a recovery code once, then makes new ones after confirming it is you, and turns off', async () => {
    const email = 'grace.two.step@example.test';
    await register(email);
    const { secret, recoveryCodes } = await turnOn(email);
    await signOut();

    // A recovery code instead of the app's code.
    await signInWithPassword(email);
    expect(path()).toBe('/login/second-factor');
    await page.getByLabel('Or a recovery code').fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(path()).toBe('/');
    await page.goto('/settings');
    await expect(page.locator('#recovery-codes-left').textContent()).resolves.toBe(
      'You have 9 of your recovery codes left.',
    );
    await signOut();

    // The same one again is refused under its field, which gets the focus back.
    await signInWithPassword(email);
    await page.getByLabel('Or a recovery code').fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(path()).toBe('/login/second-factor');
    await expect(page.locator('#recoveryCode-error').textContent()).resolves.toBe(
      'The recovery code is incorrect or was already used. 4 tries are left.',
    );
    await expect(focused()).resolves.toBe('recoveryCode');
    await screenshot(page, 'second-factor-recovery-code-refused');
    await page.getByLabel('Code from your app').fill(totpCodeOf(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(path()).toBe('/');

    // An hour later, new codes need "confirm it's you": the password and a code.
    await ageSignIns(email);
    await timePasses(email);
    await page.goto('/settings');
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await expect(heading()).resolves.toBe("Confirm it's you");
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByLabel('Code from your authenticator app').fill(totpCodeOf(secret));
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    expect(path()).toBe('/settings');
    await page.getByRole('button', { name: 'Make new recovery codes' }).click();
    await expect(heading()).resolves.toBe('Your new recovery codes');
    const fresh = await recoveryCodesShown();
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[1]);

    // Turning off asks first.
    await page.goto('/settings');
    await page.getByRole('link', { name: 'Turn off two-step sign-in…' }).click();
    expect(path()).toBe('/settings/two-step/turn-off');
    await expect(heading()).resolves.toBe('Turn off two-step sign-in?');
    await screenshot(page, 'two-step-turn-off');
    await page.getByRole('button', { name: 'Turn off two-step sign-in' }).click();
    expect(path()).toBe('/settings');
    await expect(notice()).resolves.toContain('Two-step sign-in is off');
    await expect(
      page.getByRole('button', { name: 'Turn on two-step sign-in' }).isVisible(),
    ).resolves.toBe(true);

    // The password alone signs in again.
    await signOut();
    await signInWithPassword(email);
    expect(path()).toBe('/');
  });

  it('sends a second step that waited too long back to the sign-in page, to start again', async () => {
    const email = 'linus.two.step@example.test';
    await register(email);
    const { secret } = await turnOn(email);
    await signOut();
    await signInWithPassword(email);
    expect(path()).toBe('/login/second-factor');
    // Five minutes pass.
    await live.t.db
      .collection('second_steps')
      .updateMany(
        { userId: (await account(email))._id },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
    await page.getByLabel('Code from your app').fill(totpCodeOf(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(path()).toBe('/login');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Please start again');
    await screenshot(page, 'second-factor-expired');
  });

  it("takes the second step of an app's sign-in on the page, then goes back to the app", async () => {
    const email = 'barbara.two.step@example.test';
    await register(email);
    const { secret } = await turnOn(email);
    await signOut();

    await page.goto(`${sample.url}/`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    expect(path()).toBe('/login');
    await signInWithPassword(email, { fresh: false });
    expect(path()).toBe('/login/second-factor');
    // Where the sign-in goes on to: the app's interaction, here.
    expect(new URL(page.url()).searchParams.get('returnTo')).toMatch(
      /\/oauth2\/interaction\/[\w-]+$/,
    );
    await page.getByLabel('Code from your app').fill(totpCodeOf(secret));
    await Promise.all([
      page.waitForURL(`${sample.url}/`),
      page.getByRole('button', { name: 'Continue' }).click(),
    ]);
    await expect(page.locator('#signed-in-as').textContent()).resolves.toBe(
      `Signed in as ${email}`,
    );
  });
});
