import { Types } from 'mongoose';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { screenshot } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a second passphrase, longer still';
const WRONG_PASSWORD = 'not the password, though long enough';
const AN_HOUR = 3600_000;

/**
 * The "confirm it's you" step: a person whose sign-in is no longer recent (RECENT_SIGN_IN_SECONDS,
 * 300 by default) who uses a settings form that changes how the account is entered is asked to
 * prove who they are, with their password or a connected provider, instead of seeing an error.
 */
describe('the "confirm it\'s you" step of the settings pages, in a real browser', () => {
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

  const users = () => live.t.db.collection('users');
  const sessions = () => live.t.db.collection('sessions');
  const notice = () => page.getByRole('status');
  const heading = () => page.getByRole('heading', { level: 1 }).textContent();
  const path = () => new URL(page.url()).pathname;

  async function userId(email: string): Promise<Types.ObjectId> {
    const user = await users().findOne({ email });
    if (!user) throw new Error(`no account for ${email}`);
    return new Types.ObjectId(String(user._id));
  }

  /** Time passes: every sign-in of the account is an hour old, so no longer recent. */
  async function ageSignIns(email: string): Promise<void> {
    const { modifiedCount } = await sessions().updateMany(
      { userId: await userId(email) },
      { $set: { authenticatedAt: new Date(Date.now() - AN_HOUR) } },
    );
    expect(modifiedCount).toBeGreaterThan(0);
  }

  /** When the account's (only) session last proved who the person is. */
  async function authenticatedAt(email: string): Promise<number> {
    const all = await sessions()
      .find({ userId: await userId(email) })
      .toArray();
    expect(all).toHaveLength(1);
    return (all[0].authenticatedAt as Date).getTime();
  }

  /** Clicks something that loads a page, and gives that page's status. */
  async function statusOf(click: Locator): Promise<number> {
    const [response] = await Promise.all([page.waitForNavigation(), click.click()]);
    if (!response) throw new Error('the click loaded no page');
    return response.status();
  }

  async function register(email: string) {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(path()).toBe('/settings');
  }

  async function signUpWithGoogle(id: string, email: string) {
    live.google.signInAs({ id, name: 'Katherine Johnson', email });
    await page.goto('/login');
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    expect(path()).toBe('/');
  }

  /** Fills and sends the sign-in form of the page the browser is on. */
  async function signIn(login: string, password: string) {
    await page.getByLabel('Email or username').fill(login);
    await page.getByLabel('Password').fill(password);
    return statusOf(page.getByRole('button', { name: 'Sign in', exact: true }));
  }

  async function changePassword(from: string, to: string) {
    await page.getByLabel('Current password').fill(from);
    await page.getByLabel('New password', { exact: true }).fill(to);
    await page.getByLabel('New password again').fill(to);
    return statusOf(page.getByRole('button', { name: 'Change password' }));
  }

  async function setPassword(to: string) {
    await page.getByLabel('New password', { exact: true }).fill(to);
    await page.getByLabel('New password again').fill(to);
    return statusOf(page.getByRole('button', { name: 'Set password' }));
  }

  /** The confirm step is on screen, and says what it is for. */
  async function expectConfirmStep() {
    await expect(heading()).resolves.toBe("Confirm it's you");
    await expect(page.title()).resolves.toBe("Confirm it's you · Account");
    const intro = await page.locator('main p').first().textContent();
    expect(intro?.replace(/\s+/g, ' ')).toBe(
      'This change affects how you sign in, so we ask you to confirm who you are first. Afterwards you have 5 minutes to make it.',
    );
    await expect(page.getByRole('link', { name: 'Cancel' }).getAttribute('href')).resolves.toBe(
      '/settings',
    );
  }

  it('asks a password account with an old sign-in for its password, then lets the change through', async () => {
    const email = 'confirm.password@example.test';
    await register(email);
    await ageSignIns(email);
    // The account as the confirm step must leave it: its password checks are counted on it.
    const account = async () => {
      const record = (await users().findOne({ email }))!;
      delete record.signInChecks;
      return record;
    };
    const before = await account();
    const oldSignIn = await authenticatedAt(email);

    // Changing the password now shows the confirm step where the settings page was, not an error.
    expect(await changePassword(PASSWORD, NEW_PASSWORD)).toBe(401);
    expect(path()).toBe('/settings/password');
    await expectConfirmStep();
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    const field = page.getByLabel('Your password');
    await expect(field.getAttribute('type')).resolves.toBe('password');
    await expect(field.getAttribute('autocomplete')).resolves.toBe('current-password');
    // No provider is connected, so there is no other way to confirm.
    await expect(page.getByRole('link', { name: /^Confirm with/ }).count()).resolves.toBe(0);
    await screenshot(page, 'confirm-step-password');
    expect(await account()).toEqual(before);

    // A wrong password: the error is next to the field, and the step stays.
    await field.fill(WRONG_PASSWORD);
    expect(await statusOf(page.getByRole('button', { name: 'Confirm' }))).toBe(401);
    expect(path()).toBe('/settings/confirm');
    await expectConfirmStep();
    await expect(page.locator('#password-error').textContent()).resolves.toBe(
      'The password is incorrect.',
    );
    await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(field.getAttribute('aria-describedby')).resolves.toBe('password-error');
    await expect(field.inputValue()).resolves.toBe('');
    await screenshot(page, 'confirm-step-wrong-password');
    expect(await authenticatedAt(email)).toBe(oldSignIn);

    // An empty one is refused the same way, without asking the server to check anything.
    expect(await statusOf(page.getByRole('button', { name: 'Confirm' }))).toBe(400);
    await expect(page.locator('#password-error').textContent()).resolves.toBe(
      'Please fill in this field.',
    );

    // The right password: back on the settings page, and the sign-in is recent again.
    await field.fill(PASSWORD);
    expect(await statusOf(page.getByRole('button', { name: 'Confirm' }))).toBe(200);
    expect(path()).toBe('/settings');
    await expect(notice().textContent()).resolves.toBe(
      "Thanks, that's confirmed. You can now make your change.",
    );
    expect(await authenticatedAt(email)).toBeGreaterThan(Date.now() - 60_000);
    expect(await account()).toEqual(before);

    // Now the change goes through.
    expect(await changePassword(PASSWORD, NEW_PASSWORD)).toBe(200);
    expect(path()).toBe('/settings');
    await expect(notice().textContent()).resolves.toContain('Your password is changed');

    // It really changed: the old password no longer signs in, the new one does.
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    expect(path()).toBe('/login');
    expect(await signIn(email, PASSWORD)).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'The login or password is incorrect',
    );
    expect(await signIn(email, NEW_PASSWORD)).toBe(200);
    expect(path()).toBe('/');
  });

  it('asks before every other change to how the account is entered, and changes nothing meanwhile', async () => {
    const email = 'confirm.forms@example.test';
    await register(email);
    await ageSignIns(email);
    const before = await users().findOne({ email });
    const authorizations = live.google.authorizeRequests.length;

    // A new name is not a way in: saved without asking.
    await page.getByLabel(/^Name/).fill('Dorothy Vaughan');
    expect(await statusOf(page.getByRole('button', { name: 'Save profile' }))).toBe(200);
    await expect(notice().textContent()).resolves.toContain('Your profile is saved');
    const renamed = await users().findOne({ email });
    expect(renamed?.name).toBe('Dorothy Vaughan');

    const asks = async (what: string, change: () => Promise<number>, where: string) => {
      await page.goto('/settings');
      expect([what, await change()]).toEqual([what, 401]);
      expect([what, path()]).toEqual([what, where]);
      await expectConfirmStep();
      expect(await users().findOne({ email })).toEqual(renamed);
      // Cancel goes back to the settings, still unchanged.
      await page.getByRole('link', { name: 'Cancel' }).click();
      expect(path()).toBe('/settings');
    };

    await asks(
      'a new email',
      async () => {
        await page.getByLabel('Email').fill('someone.else@example.test');
        return statusOf(page.getByRole('button', { name: 'Save profile' }));
      },
      '/settings/profile',
    );
    await asks(
      'a new username',
      async () => {
        await page.getByLabel('Username').fill('dorothy_v');
        return statusOf(page.getByRole('button', { name: 'Save profile' }));
      },
      '/settings/profile',
    );
    await asks(
      'connecting Google',
      () => statusOf(page.getByRole('button', { name: 'Connect Google' })),
      '/settings/connections/google/connect',
    );
    await asks(
      'deleting the account',
      () => statusOf(page.getByRole('link', { name: 'Delete my account…' })),
      '/settings/delete',
    );

    // Google was never asked, and every way into the account is as it was.
    expect(live.google.authorizeRequests).toHaveLength(authorizations);
    const wayIn = ({ email, username, passwordHash, identities }: Record<string, unknown>) => ({
      email,
      username,
      passwordHash,
      identities,
    });
    expect(wayIn((await users().findOne({ email }))!)).toEqual(wayIn(before!));
  });

  it('lets a social-only account with an old sign-in confirm with Google, then make the change', async () => {
    const email = 'katherine@gmail.test';
    const google = { id: '7001', name: 'Katherine Johnson', email };
    await signUpWithGoogle(google.id, email);
    await ageSignIns(email);
    const oldSignIn = await authenticatedAt(email);

    // Setting a password shows the confirm step, with Google as the only way.
    await page.goto('/settings');
    expect(await setPassword(NEW_PASSWORD)).toBe(401);
    expect(path()).toBe('/settings/password');
    await expectConfirmStep();
    await expect(page.getByLabel('Your password').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Confirm' }).count()).resolves.toBe(0);
    const confirmWithGoogle = page.getByRole('link', { name: 'Confirm with Google' });
    const href = new URL((await confirmWithGoogle.getAttribute('href'))!, live.url);
    expect(href.pathname).toBe('/auth/google');
    // No returnTo: the provider's default landing is the settings page with a confirmation.
    expect(Object.fromEntries(href.searchParams)).toEqual({ reauth: '1' });
    await expect(confirmWithGoogle.getAttribute('class')).resolves.toBe('button provider');
    await screenshot(page, 'confirm-step-google');
    expect(await users().findOne({ email })).not.toHaveProperty('passwordHash');

    // Google asks the person to sign in again, and sends them back to their settings, confirmed.
    const authorizations = live.google.authorizeRequests.length;
    live.google.signInAs(google);
    expect(await statusOf(confirmWithGoogle)).toBe(200);
    expect(path()).toBe('/settings');
    expect(live.google.authorizeRequests).toHaveLength(authorizations + 1);
    expect(live.google.authorizeRequests.at(-1)?.prompt).toBe('select_account');
    await expect(notice().textContent()).resolves.toBe(
      "Thanks, that's confirmed. You can now make your change.",
    );
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    expect(await authenticatedAt(email)).toBeGreaterThan(oldSignIn);
    expect(await authenticatedAt(email)).toBeGreaterThan(Date.now() - 60_000);

    // Now setting the password works, and so does deleting the account with it.
    expect(await setPassword(NEW_PASSWORD)).toBe(200);
    await expect(notice().textContent()).resolves.toContain('Your password is set');
    await page.getByRole('link', { name: 'Delete my account…' }).click();
    expect(path()).toBe('/settings/delete');
    await page.getByLabel('Your password, to confirm').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Delete my account for good' }).click();
    expect(path()).toBe('/login');
    await expect(notice().textContent()).resolves.toContain('deleted');
    expect(await users().countDocuments({ email })).toBe(0);
  });

  it('offers both ways to an account with a password and Google, before removing either', async () => {
    const email = 'both.ways@example.test';
    const google = { id: '7003', name: 'Both Ways', email: 'both.ways@gmail.test' };
    await register(email);
    live.google.signInAs(google);
    await page.getByRole('button', { name: 'Connect Google' }).click();
    await expect(notice().textContent()).resolves.toContain('The provider is connected');
    await ageSignIns(email);
    const before = await users().findOne({ email });

    // Disconnecting Google: the password or Google, either will do.
    expect(await statusOf(page.getByRole('button', { name: 'Disconnect Google' }))).toBe(401);
    expect(path()).toBe('/settings/connections/google/disconnect');
    await expectConfirmStep();
    await expect(page.getByLabel('Your password').isVisible()).resolves.toBe(true);
    await expect(page.locator('.divider').textContent()).resolves.toBe('or');
    await expect(page.getByRole('link', { name: 'Confirm with Google' }).isVisible()).resolves.toBe(
      true,
    );
    await screenshot(page, 'confirm-step-password-or-google');

    // Removing the password: the same step.
    await page.goto('/settings');
    expect(await statusOf(page.getByRole('button', { name: 'Remove password' }))).toBe(401);
    expect(path()).toBe('/settings/password/remove');
    await expectConfirmStep();
    expect(await users().findOne({ email })).toEqual(before);

    // Confirmed with Google, the password can go.
    await page.getByRole('link', { name: 'Confirm with Google' }).click();
    expect(path()).toBe('/settings');
    expect(await statusOf(page.getByRole('button', { name: 'Remove password' }))).toBe(200);
    await expect(notice().textContent()).resolves.toContain('Your password is removed');
    expect(await users().findOne({ email })).not.toHaveProperty('passwordHash');
  });

  it('refuses to confirm with a Google account that is not connected to this one', async () => {
    const email = 'mary.jackson@gmail.test';
    await signUpWithGoogle('7002', email);
    await ageSignIns(email);
    const oldSignIn = await authenticatedAt(email);

    await page.goto('/settings');
    expect(await statusOf(page.getByRole('link', { name: 'Delete my account…' }))).toBe(401);
    await expectConfirmStep();

    // Someone else's Google account at the provider: back to settings, told why, not confirmed.
    live.google.signInAs({ id: '7999', name: 'Someone Else', email: 'someone@gmail.test' });
    await page.getByRole('link', { name: 'Confirm with Google' }).click();
    expect(path()).toBe('/settings');
    expect(new URL(page.url()).searchParams.get('error')).toBe('IDENTITY_MISMATCH');
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'That provider account is not connected to your account, so it could not confirm it is you.',
    );
    expect(await authenticatedAt(email)).toBe(oldSignIn);
    expect(await statusOf(page.getByRole('link', { name: 'Delete my account…' }))).toBe(401);
    await expectConfirmStep();
    expect(await users().countDocuments({ email })).toBe(1);
  });

  it('does not ask a person whose sign-in is recent', async () => {
    const email = 'fresh.sign-in@example.test';

    // Just registered: the password changes straight away.
    await register(email);
    expect(await changePassword(PASSWORD, NEW_PASSWORD)).toBe(200);
    expect(path()).toBe('/settings');
    await expect(notice().textContent()).resolves.toContain('Your password is changed');

    // An old sign-in made fresh by signing in again: an email change goes straight through too.
    await ageSignIns(email);
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    expect(await signIn(email, NEW_PASSWORD)).toBe(200);
    await page.goto('/settings');
    await page.getByLabel('Email').fill('fresh.again@example.test');
    expect(await statusOf(page.getByRole('button', { name: 'Save profile' }))).toBe(200);
    expect(path()).toBe('/settings');
    await expect(heading()).resolves.toBe('Settings');
    // The new address waits for its link; the change itself was let through.
    await expect(notice().textContent()).resolves.toContain('We sent a link to your new email');
    await expect(page.getByText('Waiting for fresh.again@example.test').count()).resolves.toBe(1);

    // Asked for directly, the confirm step is still there, but nothing sent the person to it.
    expect((await page.goto('/settings/confirm'))?.status()).toBe(200);
    await expectConfirmStep();
  });
});
