import { createServer } from 'node:net';
import { OAuthEmulator, startGoogleEmulator } from './providers';
import { createTestApp, TestApp } from './test-app';

/** The app listening on a real localhost port, as a browser reaches it, with a Google emulator. */
export interface LiveApp {
  t: TestApp;
  url: string;
  google: OAuthEmulator;
  close(): Promise<void>;
}

export interface LiveAppOptions {
  /** More environment for the app (e.g. a MailServer's `env`), merged over the defaults. */
  env?: Record<string, string>;
}

export async function startLiveApp({ env = {} }: LiveAppOptions = {}): Promise<LiveApp> {
  const port = await freePort();
  // The browser must use exactly PUBLIC_URL: cookies, the cross-site guard and callbacks rely on it.
  const url = `http://localhost:${port}`;
  const google = await startGoogleEmulator({ publicUrl: url });
  const t = await createTestApp({
    env: { PUBLIC_URL: url, PORT: String(port), ...google.env(), ...env },
  });
  await t.app.listen(port);
  return {
    t,
    url,
    google,
    close: async () => {
      await t.close();
      await google.close();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
