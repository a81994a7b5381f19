import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium';
import { LiveApp, LiveAppOptions, startLiveApp } from './live-app';
import { MailServer } from './mail';
import { SocialWorld, startSocialWorld } from './social';
import { createTestApp, newDatabaseName, TestApp, TestAppOptions } from './test-app';

/*
 * What many specs set up the same way. Each fixture closes what it has started when a later step
 * fails, and its close() closes everything in reverse order.
 */

/** The mail relay polls quickly in tests, so a message arrives within a test's patience. */
const MAIL_POLL_INTERVAL_MS = '100';

/** The app sending its mail to a real SMTP server of the test's own. */
export interface AppWithMail {
  t: TestApp;
  mail: MailServer;
  close(): Promise<void>;
}

/** The app with a MailServer (SMTP_URL and a quick relay; `env` may override either). */
export async function appWithMail({
  env = {},
  ...options
}: TestAppOptions = {}): Promise<AppWithMail> {
  const mail = await MailServer.start();
  const t = await startOrClose(mail, () =>
    createTestApp({ ...options, env: { ...mail.env, MAIL_POLL_INTERVAL_MS, ...env } }),
  );
  return { t, mail, close: closing(t, mail) };
}

/** The social world (see startSocialWorld) sending its mail to a MailServer. */
export interface SocialWorldWithMail {
  world: SocialWorld;
  mail: MailServer;
  close(): Promise<void>;
}

export async function socialWorldWithMail(
  env: Record<string, string> = {},
): Promise<SocialWorldWithMail> {
  const mail = await MailServer.start();
  const world = await startOrClose(mail, () =>
    startSocialWorld({ ...mail.env, MAIL_POLL_INTERVAL_MS, ...env }),
  );
  return { world, mail, close: closing(world, mail) };
}

/** Headless Chromium and the app listening on a real port for it. */
export interface BrowserWithLiveApp {
  live: LiveApp;
  chromium: Browser;
  close(): Promise<void>;
}

export async function browserWithLiveApp(
  options: LiveAppOptions = {},
): Promise<BrowserWithLiveApp> {
  const live = await startLiveApp(options);
  const chromium = await startOrClose(live, launchChromium);
  return { live, chromium, close: closing(chromium, live) };
}

/** As browserWithLiveApp, the app sending its mail to a MailServer. */
export interface BrowserWithMail extends BrowserWithLiveApp {
  mail: MailServer;
}

export async function browserWithMail({
  env = {},
  ...options
}: LiveAppOptions = {}): Promise<BrowserWithMail> {
  const mail = await MailServer.start();
  const browser = await startOrClose(mail, () =>
    browserWithLiveApp({ ...options, env: { ...mail.env, MAIL_POLL_INTERVAL_MS, ...env } }),
  );
  return { live: browser.live, chromium: browser.chromium, mail, close: closing(browser, mail) };
}

/** Two instances of the service on one fresh database, as behind a load balancer. */
export async function twoInstances(
  options: Omit<TestAppOptions, 'database'> = {},
): Promise<readonly [TestApp, TestApp]> {
  const database = newDatabaseName();
  // One after the other, as a deployment's instances usually start.
  const a = await createTestApp({ ...options, database });
  const b = await startOrClose(a, () => createTestApp({ ...options, database }));
  return [a, b] as const;
}

interface Closable {
  close(): Promise<unknown>;
}

/** Starts the next part; when it fails, closes what was started before it. */
async function startOrClose<T>(started: Closable, next: () => Promise<T>): Promise<T> {
  try {
    return await next();
  } catch (error) {
    await started.close();
    throw error;
  }
}

/** Closes the parts in order, each even when one before it failed to close. */
function closing(...parts: Closable[]): () => Promise<void> {
  return async () => {
    const errors: unknown[] = [];
    for (const part of parts) await part.close().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  };
}
