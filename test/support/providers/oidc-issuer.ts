/**
 * Starts a real OpenID Connect issuer (oidc-provider, in a child process: it is ESM-only and
 * jest runs CommonJS) configured with one confidential client for the app.
 * The child script is oidc-issuer.child.mjs: a plain oidc-issuer.mjs would shadow this file, as
 * jest resolves `./oidc-issuer` to .mjs before .ts.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface OidcIssuerOptions {
  /** The app's provider key: OIDC_PROVIDERS=<key>, callback /auth/<key>/callback. */
  key?: string;
  /** Display name (OIDC_<KEY>_NAME); defaults to the key, capitalised. */
  name?: string;
  /** Issuer identifier to announce (discovery, ID token `iss`) instead of the URL it serves at. */
  issuerId?: string;
  /** The app's public origin, for the registered redirect URI. */
  publicUrl?: string;
  /** How the client authenticates at the token endpoint; passport-openidconnect needs post. */
  tokenEndpointAuthMethod?: 'client_secret_post' | 'client_secret_basic';
}

export interface OidcIssuer {
  key: string;
  name: string;
  /** Where it is served and what the app is configured with, e.g. http://127.0.0.1:PORT. */
  issuer: string;
  /** The issuer identifier it announces: `issuerId` if given, else `issuer`. */
  announcedIssuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** OIDC_PROVIDERS, OIDC_<KEY>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _NAME. */
  env(): Record<string, string>;
  /** What the issuer printed on stderr (oidc-provider warnings, crashes). */
  stderr(): string;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

export function oidcEnvKey(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** One env for several issuers: OIDC_PROVIDERS lists every key. */
export function combineOidcEnv(issuers: OidcIssuer[]): Record<string, string> {
  return Object.assign({}, ...issuers.map((i) => i.env()), {
    OIDC_PROVIDERS: issuers.map((i) => i.key).join(','),
  }) as Record<string, string>;
}

export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const key = options.key ?? 'okta';
  const name = options.name ?? key.charAt(0).toUpperCase() + key.slice(1);
  const publicUrl = (options.publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
  const clientId = `${key}-client-${randomBytes(6).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('hex');
  const redirectUri = `${publicUrl}/auth/${key}/callback`;

  const child = spawn(
    process.execPath,
    [
      join(__dirname, 'oidc-issuer.child.mjs'),
      JSON.stringify({
        clientId,
        clientSecret,
        redirectUris: [redirectUri],
        issuerId: options.issuerId,
        tokenEndpointAuthMethod: options.tokenEndpointAuthMethod,
      }),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DEBUG: '' } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));

  const ready = await waitForReady(child, () => stderr);
  const envKey = oidcEnvKey(key);

  return {
    key,
    name,
    issuer: ready.url,
    announcedIssuer: ready.issuer,
    clientId,
    clientSecret,
    redirectUri,
    env: () => ({
      OIDC_PROVIDERS: key,
      [`OIDC_${envKey}_ISSUER`]: ready.url,
      [`OIDC_${envKey}_CLIENT_ID`]: clientId,
      [`OIDC_${envKey}_CLIENT_SECRET`]: clientSecret,
      [`OIDC_${envKey}_NAME`]: name,
    }),
    stderr: () => stderr,
    close: () => stop(child),
  };
}

function waitForReady(
  child: ChildProcessWithoutNullStreams,
  stderr: () => string,
): Promise<{ url: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    // oidc-provider prints notices on stdout too; only the "ready" line matters.
    const lines = createInterface({ input: child.stdout });
    const fail = (why: string): void => {
      clearTimeout(timer);
      lines.close();
      child.kill('SIGKILL');
      reject(new Error(`OIDC issuer ${why}\n${stderr()}`));
    };
    const timer = setTimeout(() => fail('did not start in time'), READY_TIMEOUT_MS);
    child.once('error', (error) => fail(`failed to spawn: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? code})`));
    lines.on('line', (line) => {
      if (!line.startsWith('ready ')) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      // `lines` stays open, draining stdout so the child never blocks on a full pipe.
      resolve(JSON.parse(line.slice('ready '.length)) as { url: string; issuer: string });
    });
  });
}

function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.stdin.end();
    child.kill('SIGTERM');
  });
}
