import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { screenshot, watchForRefusals } from '../support/chromium';
import { browserWithLiveApp, BrowserWithLiveApp } from '../support/fixtures';
import type { LiveApp } from '../support/live-app';

const PASSWORD = 'correct horse battery staple';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const ORDERS = { indicator: 'https://orders.example.test', scopes: ['orders:read'] };
/** A CLI (public, device flow only) that calls the orders API as its person. */
const CLI = {
  client_id: 'orders-cli',
  client_name: 'Orders CLI',
  grant_types: [DEVICE_GRANT],
  scope: 'openid email orders:read',
};

/**
 * The device flow's /device page in real Chromium: a CLI (openid-client) starts the flow and polls,
 * the person signs in, types the code the CLI shows, sees the app and what it asks for, and
 * approves; the CLI's poll gets its tokens. The page runs no script but the service's own file:
 * the test fails on a violation of its Content-Security-Policy or a script error.
 */
describe('the /device page, in a real browser', () => {
  let live: LiveApp;
  let chromium: Browser;
  let context: BrowserContext;
  let page: Page;
  let refused: string[];

  let fixture: BrowserWithLiveApp;
  beforeAll(async () => {
    fixture = await browserWithLiveApp({
      env: {
        OIDC_CLIENTS: JSON.stringify([CLI]),
        OIDC_RESOURCES: JSON.stringify([ORDERS]),
      },
    });
    ({ live, chromium } = fixture);
  });
  afterAll(() => fixture?.close());
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

  const path = () => new URL(page.url()).pathname;
  const heading = () => page.getByRole('heading', { level: 1 }).textContent();

  it('signs in, takes the code the device shows, shows the app and what it asks for, and approves: the device gets its tokens', async () => {
    const email = 'ada.device@example.test';
    const registered = await request(live.url)
      .post('/auth/register')
      .send({ email, password: PASSWORD })
      .expect(201);
    const userId = registered.body.user.id as string;

    const config = await client.discovery(new URL(live.url), CLI.client_id, undefined, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const started = await client.initiateDeviceAuthorization(config, {
      scope: 'openid email orders:read',
      resource: ORDERS.indicator,
    });
    // The CLI polls from the start, as it would; stopped whatever happens.
    const stop = new AbortController();
    const polling = client.pollDeviceAuthorizationGrant(
      config,
      started,
      { resource: ORDERS.indicator },
      { signal: stop.signal },
    );
    polling.catch(() => undefined);
    let tokens: Awaited<typeof polling>;
    try {
      // The address the CLI shows: not signed in, the person signs in first and comes back.
      await page.goto(started.verification_uri);
      expect(path()).toBe('/login');
      await page.getByLabel('Email or username').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(/\/device$/);
      await expect(heading()).resolves.toBe('Connect a device');

      await page.getByLabel('Code').fill(started.user_code.toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();
      await expect(heading()).resolves.toBe('Connect Orders CLI?');
      await expect(page.locator('main').textContent()).resolves.toContain(started.user_code);
      await expect(page.locator('main li').allTextContents()).resolves.toEqual([
        'Know who you are here (your account ID)',
        'See your email address, and whether it is confirmed',
        `Use ${ORDERS.indicator} as you: orders:read`,
      ]);
      await screenshot(page, 'device-confirm');

      await page.getByRole('button', { name: 'Approve' }).click();
      await expect(heading()).resolves.toBe('Device connected');
      await expect(page.getByRole('status').textContent()).resolves.toContain(
        'Orders CLI is now signed in as you',
      );
      await screenshot(page, 'device-connected');
      tokens = await polling;
    } finally {
      stop.abort();
    }

    expect(tokens.claims()).toMatchObject({ sub: userId, aud: CLI.client_id });
    const jwks = (await request(live.url).get('/.well-known/jwks.json').expect(200))
      .body as JSONWebKeySet;
    const { payload } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: live.url,
      audience: ORDERS.indicator,
    });
    expect(payload).toMatchObject({ sub: userId, scope: 'orders:read' });
  });
});
