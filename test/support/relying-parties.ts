import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The relying parties this project did not write (test/conformance/): Authlib (Python) and go-oidc
 * (Go). Each signs the person of a browser session in through the provider on its own, browser's
 * redirects included (the session cookie in its own cookie jar), verifies the ID token its own
 * way, and prints the claims. Made on first use, so that `npm test` works on a fresh clone: a
 * virtual environment with the pinned packages (.venv-conformance), and the Go program built into
 * .go-conformance/ (rebuilt when its source changes).
 */
const ROOT = join(__dirname, '..', '..');
const SOURCES = join(ROOT, 'test', 'conformance');
const VENV = join(ROOT, '.venv-conformance');
const GO_RP = join(ROOT, '.go-conformance', 'go-oidc-rp');

export interface RelyingPartyInput {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The person's session here, `name=value`, as the browser holds it. */
  sessionCookie: string;
}

/** What the relying party printed: the verified ID token's claims and userinfo's. */
export interface SignedIn {
  id_token: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}

/** Authlib's pinned version, as test/conformance/requirements.txt says. */
function pinnedAuthlib(): string {
  const requirements = readFileSync(join(SOURCES, 'requirements.txt'), 'utf8');
  return /^Authlib==(\S+)$/m.exec(requirements)![1];
}

/** A step of the set-up that failed, saying what it needs (a missing program names itself). */
function check(result: ReturnType<typeof spawnSync>, what: string, needs: string): void {
  if (result.status !== 0) {
    const why = result.error?.message ?? `exit ${result.status}`;
    throw new Error(`${what} failed (${why}): ${String(result.stderr ?? '')}\n${needs}`);
  }
}

const NEEDS_PYTHON =
  'The Authlib relying party needs Python 3 with venv and access to PyPI (PYTHON names another python).';
const NEEDS_GO =
  'The go-oidc relying party needs Go (see test/conformance/go-oidc-rp/go.mod) and access to the Go module proxy (GO names another go).';

/** The virtual environment's python with the pinned Authlib, installed on first use (~20 s). */
export function authlibPython(): string {
  const python = join(VENV, 'bin', 'python');
  const version = existsSync(python)
    ? spawnSync(python, ['-c', 'import authlib; print(authlib.__version__)'], { encoding: 'utf8' })
        .stdout
    : '';
  if (version.trim() !== pinnedAuthlib()) {
    check(
      spawnSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', VENV], { encoding: 'utf8' }),
      'python3 -m venv',
      NEEDS_PYTHON,
    );
    const pip = join(VENV, 'bin', 'pip');
    const requirements = join(SOURCES, 'requirements.txt');
    check(
      spawnSync(pip, ['install', '--quiet', '--disable-pip-version-check', '-r', requirements], {
        encoding: 'utf8',
      }),
      'pip install (test/conformance/requirements.txt)',
      NEEDS_PYTHON,
    );
  }
  return python;
}

/** The go-oidc relying party, built on first use and when its source changed (~1 min at first). */
export function goOidcProgram(): string {
  const source = join(SOURCES, 'go-oidc-rp');
  const newest = Math.max(
    ...['main.go', 'go.mod', 'go.sum'].map((file) => statSync(join(source, file)).mtimeMs),
  );
  if (!existsSync(GO_RP) || statSync(GO_RP).mtimeMs < newest) {
    const go =
      process.env.GO ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go');
    check(
      spawnSync(go, ['build', '-mod=readonly', '-o', GO_RP, '.'], {
        cwd: source,
        encoding: 'utf8',
      }),
      'go build (test/conformance/go-oidc-rp)',
      NEEDS_GO,
    );
  }
  return GO_RP;
}

/** Runs one relying party (within 30 s) and reads what it printed. */
function run(command: string, args: string[], input: RelyingPartyInput): Promise<SignedIn> {
  const env = {
    PATH: process.env.PATH ?? '',
    ISSUER: input.issuer,
    CLIENT_ID: input.clientId,
    CLIENT_SECRET: input.clientSecret,
    REDIRECT_URI: input.redirectUri,
    SESSION_COOKIE: input.sessionCookie,
    // The test's provider listens on plain http (localhost); Authlib otherwise insists on https.
    AUTHLIB_INSECURE_TRANSPORT: '1',
  };
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as SignedIn);
    });
  });
}

export const signInWithAuthlib = (input: RelyingPartyInput) =>
  run(authlibPython(), [join(SOURCES, 'authlib_rp.py')], input);

export const signInWithGoOidc = (input: RelyingPartyInput) => run(goOidcProgram(), [], input);
