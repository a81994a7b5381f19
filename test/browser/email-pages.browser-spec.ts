import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { screenshot } from '../support/chromium';
import { browserWithMail, BrowserWithMail } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';
import { linkIn, MailServer } from '../support/mail';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a recovered passphrase, long enough';
const DEAD_LINK =
  'This link is not valid any more: it was used already, it expired, or a newer one replaced it.';

interface Me {
  email: string;
  emailVerified: boolean;
  pendingEmail: string | null;
}

/**
 * The pages that the links in our messages open (verification, recovery, email change), in a real
 * browser, with the messages read from a real SMTP server the app delivers to.
 */
describe('email pages in a real browser, with mail from a real SMTP server', () => {
  let mail: MailServer;
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;

  let fixture: BrowserWithMail;
  beforeAll(async () => {
    fixture = await browserWithMail();
    ({ live, chromium, mail } = fixture);
  });
  afterAll(() => fixture?.close());
  beforeEach(async () => {
    context = await chromium.newContext({ baseURL: live.url });
    page = await context.newPage();
  });
  afterEach(() => context.close());

  const users = () => live.t.db.collection('users');
  const tokens = () => live.t.db.collection('one_time_tokens');
  const notice = () => page.getByRole('status').textContent();
  const alert = () => page.getByRole('alert').textContent();
  const heading = () => page.getByRole('heading', { level: 1 }).textContent();
  const path = () => new URL(page.url()).pathname;

  /** Clicks something that loads a page, and gives that page's status. */
  async function statusOf(click: Locator): Promise<number> {
    const [response] = await Promise.all([page.waitForNavigation(), click.click()]);
    if (!response) throw new Error('the click loaded no page');
    return response.status();
  }

  /** Opens a link from a message in this browser, and gives the page's status. */
  async function open(link: URL): Promise<number> {
    const response = await page.goto(link.href);
    if (!response) throw new Error(`opening ${link.pathname} loaded no page`);
    return response.status();
  }

  /** What GET /me says about this browser's account. */
  async function me(): Promise<Me> {
    const response = await page.request.get('/me', { headers: { Accept: 'application/json' } });
    expect(response.status()).toBe(200);
    return ((await response.json()) as { user: Me }).user;
  }

  async function register(email: string) {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    expect(await statusOf(page.getByRole('button', { name: 'Create account' }))).toBe(200);
    expect(path()).toBe('/settings');
  }

  async function signOut() {
    await page.getByRole('navigation').getByRole('button', { name: 'Sign out' }).click();
    expect(path()).toBe('/login');
  }

  /** Fills and sends the sign-in form of the page the browser is on. */
  async function signIn(login: string, password: string) {
    await page.getByLabel('Email or username').fill(login);
    await page.getByLabel('Password').fill(password);
    return statusOf(page.getByRole('button', { name: 'Sign in', exact: true }));
  }

  /** Sends the settings' profile form with a new email. */
  async function changeEmail(to: string) {
    await page.goto('/settings');
    await page.getByLabel('Email').fill(to);
    expect(await statusOf(page.getByRole('button', { name: 'Save profile' }))).toBe(200);
    expect(path()).toBe('/settings');
  }

  /** The dead-link page: its status, and the words that say why. */
  async function expectDeadLink(status: number) {
    expect(status).toBe(400);
    await expect(alert()).resolves.toContain(DEAD_LINK);
    await expect(page.getByRole('main').getByRole('button').count()).resolves.toBe(0);
  }

  it('confirms an email address with the button of the page its link opens, never by opening it', async () => {
    const email = 'verify.me@example.test';
    await register(email);
    await expect(page.getByText(`${email} is not confirmed yet`).count()).resolves.toBe(1);
    const link = linkIn(await mail.next(email), '/verify-email');
    expect(link.origin).toBe(live.url);

    // Opening the link shows the address and a button…
    expect(await open(link)).toBe(200);
    expect(path()).toBe('/verify-email');
    await expect(heading()).resolves.toBe('Confirm your email address');
    await expect(page.title()).resolves.toBe('Confirm your email address · Account');
    await expect(page.locator('main strong').textContent()).resolves.toBe(email);
    const confirm = page.getByRole('button', { name: 'Confirm my email address' });
    await expect(confirm.isVisible()).resolves.toBe(true);
    await screenshot(page, 'verify-email');

    // …and changes nothing, however often it is opened (as mail scanners do).
    expect(await open(link)).toBe(200);
    expect((await me()).emailVerified).toBe(false);
    expect((await users().findOne({ email }))?.emailVerified).toBe(false);

    // The button confirms it, in the person's own session: they stay signed in.
    expect(await statusOf(confirm)).toBe(200);
    expect(path()).toBe('/settings');
    await expect(notice()).resolves.toBe('Your email address is confirmed.');
    await expect(page.getByText('is not confirmed yet').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Send the link again' }).count()).resolves.toBe(
      0,
    );
    expect((await me()).emailVerified).toBe(true);
    expect((await users().findOne({ email }))?.emailVerified).toBe(true);
  });

  it('lets a person who forgot the password choose a new one through the link in the mail', async () => {
    const email = 'forgetful@example.test';
    await register(email);
    await mail.next(email); // the verification link
    await signOut();

    // From the sign-in page's link to the recovery form.
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    expect(path()).toBe('/forgot-password');
    await expect(heading()).resolves.toBe('Forgot your password?');
    await page.getByLabel('Email').fill(email);
    expect(await statusOf(page.getByRole('button', { name: 'Send the link' }))).toBe(200);
    expect(path()).toBe('/login');
    await expect(notice()).resolves.toBe(
      'If an account has that email address, a link to choose a new password is on its way. It works for a short while only.',
    );

    const link = linkIn(await mail.next(email, 2), '/reset-password');
    expect(await open(link)).toBe(200);
    expect(path()).toBe('/reset-password');
    await expect(heading()).resolves.toBe('Choose a new password');
    const password = page.getByLabel('New password', { exact: true });
    const again = page.getByLabel('New password again');
    await expect(password.getAttribute('autocomplete')).resolves.toBe('new-password');
    await screenshot(page, 'reset-password');

    // Two different passwords: the error is next to the second field, nothing is typed again.
    await password.fill(NEW_PASSWORD);
    await again.fill(`${NEW_PASSWORD}!`);
    expect(await statusOf(page.getByRole('button', { name: 'Set the password' }))).toBe(400);
    expect(path()).toBe('/reset-password');
    await expect(page.locator('#newPasswordConfirm-error').textContent()).resolves.toBe(
      'The two passwords are not the same.',
    );
    await expect(again.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(again.getAttribute('aria-describedby')).resolves.toBe('newPasswordConfirm-error');
    await expect(password.inputValue()).resolves.toBe('');
    await expect(again.inputValue()).resolves.toBe('');
    await screenshot(page, 'reset-password-mismatch');

    // The same password twice: set, and the person is sent to sign in.
    await password.fill(NEW_PASSWORD);
    await again.fill(NEW_PASSWORD);
    expect(await statusOf(page.getByRole('button', { name: 'Set the password' }))).toBe(200);
    expect(path()).toBe('/login');
    await expect(notice()).resolves.toBe(
      'Your new password is set, and every device was signed out. Please sign in.',
    );

    // The old password no longer signs in; the new one does.
    expect(await signIn(email, PASSWORD)).toBe(401);
    await expect(alert()).resolves.toContain('The login or password is incorrect');
    expect(await signIn(email, NEW_PASSWORD)).toBe(200);
    expect(path()).toBe('/');
    // The link was sent to the address, so using it proved it.
    expect((await me()).emailVerified).toBe(true);
  });

  it('changes the email from the settings once the new address confirms it, and cancels a change', async () => {
    const email = 'old.address@example.test';
    const newEmail = 'new.address@example.test';
    await register(email); // just registered: the sign-in is recent
    await mail.next(email);

    // Asking for a new address: it waits for its link, the email stays as it was.
    await changeEmail(newEmail);
    await expect(notice()).resolves.toBe(
      'We sent a link to your new email address. Your email changes once you open it.',
    );
    const pending = page.locator('.email-status');
    await expect(
      pending.textContent().then((text) => text?.replace(/\s+/g, ' ')),
    ).resolves.toContain(
      `Waiting for ${newEmail} to be confirmed with the link we sent there. Until then your email stays ${email}.`,
    );
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(email);
    await screenshot(page, 'settings-pending-email');
    expect(await me()).toMatchObject({ email, pendingEmail: newEmail });
    const firstLink = linkIn(await mail.next(newEmail), '/verify-email');

    // "Cancel the change" drops it, and its link with it.
    expect(await statusOf(page.getByRole('button', { name: 'Cancel the change' }))).toBe(200);
    expect(path()).toBe('/settings');
    await expect(notice()).resolves.toBe('The email change is cancelled.');
    await expect(page.getByText('Waiting for').count()).resolves.toBe(0);
    expect(await me()).toMatchObject({ email, pendingEmail: null });
    await expectDeadLink(await open(firstLink));

    // Asked again a minute later (one change a minute sends mail), and confirmed with the new
    // link in this browser.
    await users().updateOne({ email }, { $unset: { mailSentAt: 1 } });
    await changeEmail(newEmail);
    await expect(page.getByText(`Waiting for ${newEmail}`).count()).resolves.toBe(1);
    const link = linkIn(await mail.next(newEmail, 2), '/verify-email');
    expect(await open(link)).toBe(200);
    await expect(heading()).resolves.toBe('Confirm your new email address');
    await expect(page.locator('main p').first().textContent()).resolves.toBe(
      `Make ${newEmail} the email address of your account?`,
    );
    expect(await me()).toMatchObject({ email, pendingEmail: newEmail });
    expect(await statusOf(page.getByRole('button', { name: 'Confirm the new address' }))).toBe(200);
    expect(path()).toBe('/settings');
    await expect(notice()).resolves.toBe('Your email address is confirmed.');
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(newEmail);
    await expect(page.locator('.email-status').count()).resolves.toBe(0);
    expect(await me()).toMatchObject({ email: newEmail, emailVerified: true, pendingEmail: null });
    await screenshot(page, 'settings-new-email-confirmed');
  });

  it('shows a used or expired link as no longer valid, with status 400', async () => {
    const email = 'dead.links@example.test';
    await register(email);
    const verification = linkIn(await mail.next(email), '/verify-email');

    // A verification link, once used.
    expect(await open(verification)).toBe(200);
    expect(await statusOf(page.getByRole('button', { name: 'Confirm my email address' }))).toBe(
      200,
    );
    await expectDeadLink(await open(verification));
    await expect(heading()).resolves.toBe('Confirm your email address');
    await expect(
      page.getByRole('main').getByRole('link', { name: 'settings' }).getAttribute('href'),
    ).resolves.toBe('/settings');
    await screenshot(page, 'verify-email-dead-link');

    // A recovery link, once expired.
    await signOut();
    await page.goto('/forgot-password');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    const recovery = linkIn(await mail.next(email, 2), '/reset-password');
    expect(await open(recovery)).toBe(200);
    const account = await users().findOne({ email });
    const expired = await tokens().updateMany(
      { userId: account?._id, purpose: 'reset-password' },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    expect(expired.modifiedCount).toBe(1);
    // The page opened before it expired: the button now says why it did not work.
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await expectDeadLink(await statusOf(page.getByRole('button', { name: 'Set the password' })));
    // Opened again, the page says so at once.
    await expectDeadLink(await open(recovery));
    await expect(heading()).resolves.toBe('Choose a new password');
    await expect(
      page.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href'),
    ).resolves.toBe('/forgot-password');
    await screenshot(page, 'reset-password-dead-link');

    // Nothing changed: the old password still signs in.
    await page.goto('/login');
    expect(await signIn(email, PASSWORD)).toBe(200);

    // A made-up token is no better.
    const forged = new URL(recovery);
    forged.searchParams.set('token', 'A'.repeat(43));
    await expectDeadLink(await open(forged));
  });

  it('shows a link sent to an address the account no longer has as no longer valid', async () => {
    const email = 'moved.away@example.test';
    const newEmail = 'moved.here@example.test';
    await register(email);
    const verification = linkIn(await mail.next(email), '/verify-email');
    await page.goto('/forgot-password');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    const recovery = linkIn(await mail.next(email, 2), '/reset-password');

    // The account moves to a new address, confirmed in this browser.
    await changeEmail(newEmail);
    expect(await open(linkIn(await mail.next(newEmail), '/verify-email'))).toBe(200);
    expect(await statusOf(page.getByRole('button', { name: 'Confirm the new address' }))).toBe(200);
    const moved = await users().findOne({ email: newEmail });
    expect(moved).not.toBeNull();

    // The links sent to the old address prove nothing about the account any more (docs/email.md: a token
    // "stops working when the account's address is no longer the one it was sent to"), so their
    // pages must say so instead of offering a button to confirm an address the account lost.
    const shown = [];
    for (const link of [verification, recovery]) {
      const status = await open(link);
      shown.push({
        page: link.pathname,
        status,
        alerts: await page.getByRole('alert').allTextContents(),
        buttons: await page.getByRole('main').getByRole('button').count(),
      });
    }
    const dead = { status: 400, alerts: [expect.stringContaining(DEAD_LINK)], buttons: 0 };
    expect(shown).toEqual([
      { page: '/verify-email', ...dead },
      { page: '/reset-password', ...dead },
    ]);
    expect(await users().findOne({ _id: moved!._id })).toEqual(moved);
  });
});
