import { createServer } from 'node:net';
import { OAuthEmulator, startGoogleEmulator } from './providers';
import { createTestApp, TestApp } from './test-app';

/** The app listening on a real localhost port, as a browser reaches it, with a Google emulator. */
export interface LiveApp {
  t: TestApp;
  /** Where this instance listens. */
  url: string;
  google: OAuthEmulator;
  close(): Promise<void>;
}

export interface LiveAppOptions {
  /** More environment for the app (e.g. a MailServer's `env`), merged over the defaults. */
  env?: Record<string, string>;
  /** A database shared with other instances (see newDatabaseName); by default a fresh one. */
  database?: string;
  /**
   * The URL browsers use, when it is not the instance's own: a proxy in front of several
   * instances. PUBLIC_URL and the Google emulator's callbacks follow it.
   */
  publicUrl?: string;
  /** A Google emulator shared with other instances (closed by its owner, not by close()). */
  google?: OAuthEmulator;
}

export async function startLiveApp({
  env = {},
  database,
  publicUrl,
  google: sharedGoogle,
}: LiveAppOptions = {}): Promise<LiveApp> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  // The browser must use exactly PUBLIC_URL: cookies, the cross-site guard and callbacks rely on it.
  const publicAt = publicUrl ?? url;
  const google = sharedGoogle ?? (await startGoogleEmulator({ publicUrl: publicAt }));
  const t = await createTestApp({
    database,
    env: { PUBLIC_URL: publicAt, PORT: String(port), ...google.env(), ...env },
  });
  await t.app.listen(port);
  return {
    t,
    url,
    google,
    close: async () => {
      await t.close();
      if (!sharedGoogle) await google.close();
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
