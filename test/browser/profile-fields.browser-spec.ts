import type { Browser, BrowserContext, Page } from 'playwright-core';
import { screenshot } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';

const PASSWORD = 'correct horse battery staple';

const FIELDS = [
  { key: 'company', label: 'Company', type: 'text', required: true },
  { key: 'age', label: 'Age in years', type: 'integer', min: 0, max: 150 },
  { key: 'newsletter', label: 'Send me the newsletter', type: 'boolean' },
  { key: 'birthday', label: 'Birthday', type: 'date', max: '2020-12-31' },
  { key: 'website', label: 'Website', type: 'url' },
  { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'], required: true },
];

describe('profile fields in a real browser', () => {
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    fixture = await browserWithLiveApp({ env: { PROFILE_FIELDS: JSON.stringify(FIELDS) } });
    ({ live, chromium } = fixture);
    context = await chromium.newContext({ baseURL: live.url });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await fixture?.close();
  });

  const path = () => new URL(page.url()).pathname;
  const errorOf = (name: string) => page.locator(`[id="${name}-error"]`).textContent();
  const company = () => page.getByLabel(/^Company/);
  const age = () => page.getByLabel(/^Age in years/);
  const newsletter = () => page.getByLabel('Send me the newsletter');
  const birthday = () => page.getByLabel(/^Birthday/);
  const website = () => page.getByLabel(/^Website/);
  const plan = () => page.getByLabel(/^Plan/);

  it('fills the fields at registration and edits them in the settings', async () => {
    await page.goto('/register');
    await page.getByLabel('Email', { exact: true }).fill('ada.fields@example.test');
    await age().fill('200');
    await birthday().fill('2024-01-01');
    await plan().selectOption('pro');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();

    // Refused: each error next to its field, what was typed still there.
    expect(path()).toBe('/register');
    await expect(errorOf('data.company')).resolves.toBe('Please fill in this field.');
    await expect(errorOf('data.age')).resolves.toBe('Age in years must be at most 150.');
    await expect(errorOf('data.birthday')).resolves.toBe(
      'Birthday must be on or before 2020-12-31.',
    );
    await expect(age().inputValue()).resolves.toBe('200');
    await expect(plan().inputValue()).resolves.toBe('pro');
    await expect(age().getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(page, 'profile-fields-register-refused');

    await company().fill('Analytical Engines');
    await age().fill('36');
    await birthday().fill('1990-12-10');
    await newsletter().check();
    await website().fill('https://engines.test/ada');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(path()).toBe('/settings');
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'Your account is ready',
    );

    // The settings show the values; the person changes some and empties one.
    await expect(company().inputValue()).resolves.toBe('Analytical Engines');
    await expect(age().inputValue()).resolves.toBe('36');
    await expect(newsletter().isChecked()).resolves.toBe(true);
    await expect(birthday().inputValue()).resolves.toBe('1990-12-10');
    await expect(plan().inputValue()).resolves.toBe('pro');
    await screenshot(page, 'profile-fields-settings');

    await age().fill('37');
    await newsletter().uncheck();
    await website().fill('');
    await plan().selectOption('free');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain(
      'Your profile is saved',
    );
    await expect(age().inputValue()).resolves.toBe('37');
    await expect(newsletter().isChecked()).resolves.toBe(false);
    await expect(website().inputValue()).resolves.toBe('');
    await expect(plan().inputValue()).resolves.toBe('free');

    // A required field cannot be emptied.
    await company().fill('');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expect(errorOf('data.company')).resolves.toBe('Please fill in this field.');
    await screenshot(page, 'profile-fields-settings-refused');

    const me = await page.request.get('/me');
    expect(((await me.json()) as { user: { data: unknown } }).user.data).toEqual({
      company: 'Analytical Engines',
      age: 37,
      newsletter: false,
      birthday: '1990-12-10',
      plan: 'free',
    });
  });
});
