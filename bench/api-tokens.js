// node bench/api-tokens.js (after npm run build): what an API's check of an access token costs,
// verified locally as examples/api-guard.ts does (jose: createRemoteJWKSet + jwtVerify with issuer,
// audience, typ at+jwt) against asking the provider (RFC 7662 introspection), per check, as a
// ratio measured in one run; written to bench/api-tokens.md. A piece of its own beside
// bench/run.js: the production build with apps and an API configured, on a fresh database.
// BENCH_CHECKS (default 1000) sets how many checks of each kind a round makes.
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const { mkdtempSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { startDatabase, startMailSink, startServer, versionOf } = require('./support');

const CHECKS = Number(process.env.BENCH_CHECKS ?? 1000);
const API = 'https://orders.example.test';
const APP = {
  client_id: 'shop',
  client_secret: randomBytes(32).toString('base64url'),
  redirect_uris: ['https://shop.example.test/callback'],
  scope: 'openid offline_access orders:read',
};

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const logs = mkdtempSync(join(os.tmpdir(), 'account-bench-'));
  const database = await startDatabase();
  const mail = await startMailSink();
  const server = await startServer({
    script: 'dist/main.js',
    env: {
      NODE_ENV: 'production',
      MONGODB_URI: database.uri(`bench_api_${Date.now()}`),
      SMTP_URL: mail.url,
      MAIL_FROM: 'Bench <bench@example.test>',
      CSRF_SECRET: randomBytes(32).toString('base64url'),
      OIDC_KEY_SECRET: randomBytes(32).toString('base64url'),
      TWO_STEP_SECRET: randomBytes(32).toString('base64url'),
      OIDC_CLIENTS: JSON.stringify([APP]),
      OIDC_RESOURCES: JSON.stringify([{ indicator: API, scopes: ['orders:read'] }]),
    },
    logFile: join(logs, 'service.log'),
    readyPath: '/health/ready',
  });
  try {
    const { jwt, opaque } = await tokens(server.url);
    // The issuer is PUBLIC_URL (localhost by default), whatever address the bench calls.
    const { issuer } = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    // The guard's verification, as examples/api-guard.ts makes it (one key set, cached).
    const keys = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const verify = () =>
      jwtVerify(jwt, keys, {
        issuer,
        audience: API,
        typ: 'at+jwt',
        algorithms: ['RS256'],
      });
    const introspect = async () => {
      const response = await fetch(`${server.url}/oauth2/introspect`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${APP.client_id}:${APP.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: opaque }),
      });
      const body = await response.json();
      if (!body.active) throw new Error(`introspection: ${JSON.stringify(body)}`);
    };
    // Warm both (the key set is fetched once), then two rounds in turn; the better of each counts.
    await timePerCheck(verify, 50);
    await timePerCheck(introspect, 50);
    const rounds = [];
    for (let round = 0; round < 2; round++) {
      rounds.push({
        local: await timePerCheck(verify, CHECKS),
        introspection: await timePerCheck(introspect, CHECKS),
      });
    }
    const local = Math.min(...rounds.map((r) => r.local));
    const introspection = Math.min(...rounds.map((r) => r.introspection));
    const report = render({ local, introspection, rounds, startedAt, loadBefore, database });
    writeFileSync(join(__dirname, 'api-tokens.md'), report);
    process.stdout.write(report);
  } finally {
    await server.stop();
    mail.stop();
    await database.stop?.();
  }
}

/** Mean wall time of one check, in µs, over `count` checks one after another. */
async function timePerCheck(check, count) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await check();
  return Number(process.hrtime.bigint() - start) / 1000 / count;
}

/**
 * A signed-in person's tokens for the shop, through the provider's endpoints: an opaque access
 * token (userinfo's, which introspection answers for) and, from the refresh token, a JWT for the API.
 */
async function tokens(url) {
  const cookies = new Map();
  const send = async (path, init = {}) => {
    const response = await fetch(url + path, {
      redirect: 'manual',
      ...init,
      headers: { ...init.headers, cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  const registered = await send('/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'api@example.test',
      username: 'api',
      password: 'correct horse battery staple',
    }),
  });
  if (registered.status !== 201) throw new Error(`registration: ${registered.status}`);
  const verifier = randomBytes(32).toString('base64url');
  let location = `/oauth2/authorize?${new URLSearchParams({
    client_id: APP.client_id,
    redirect_uri: APP.redirect_uris[0],
    response_type: 'code',
    scope: APP.scope,
    resource: API,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  })}`;
  for (let step = 0; step < 10 && !location.startsWith(APP.redirect_uris[0]); step++) {
    const response = await send(new URL(location, url).pathname + new URL(location, url).search);
    location = response.headers.get('location') ?? '';
  }
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code: ${location}`);
  const token = async (parameters) => {
    const response = await fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...parameters,
        client_id: APP.client_id,
        client_secret: APP.client_secret,
      }),
    });
    if (response.status !== 200)
      throw new Error(`token: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const first = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: APP.redirect_uris[0],
    code_verifier: verifier,
  });
  const api = await token({
    grant_type: 'refresh_token',
    refresh_token: first.refresh_token,
    resource: API,
  });
  return { opaque: first.access_token, jwt: api.access_token };
}

function render({ local, introspection, rounds, startedAt, loadBefore, database }) {
  const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`);
  const cpus = os.cpus();
  return [
    '# Benchmark: an API checking an access token',
    '',
    `Written by \`node bench/api-tokens.js\` on ${startedAt.toISOString()}. The ratio compares two figures`,
    'measured in this one run, on this machine.',
    '',
    '| What | Measured | Result |',
    '| --- | --- | --- |',
    `| one introspection request ÷ one local JWT verification (per check) | ${fmt(introspection)} ÷ ${fmt(local)} = **${(introspection / local).toFixed(0)}×** | local is ${(introspection / local).toFixed(0)} times cheaper |`,
    '',
    '## How',
    '',
    '- The production build (`dist/main.js`, `NODE_ENV=production`) with one app and one API',
    "  (`OIDC_RESOURCES`), on a fresh database; a person signs the app in through the provider's",
    "  endpoints; the code gives an opaque access token (userinfo's) and a refresh token, which",
    '  gives a JWT access token for the API (`resource=`).',
    '- **Local**: `jwtVerify` against `createRemoteJWKSet` with issuer, audience, `typ: at+jwt` and',
    '  RS256, as examples/api-guard.ts does, in this process, one check after another; the key set is',
    '  fetched once (warm-up) and cached, as in an API.',
    "- **Introspection**: `POST /oauth2/introspect` of the opaque token with the app's credentials",
    '  (client_secret_basic), one request after another over keep-alive; each answer `active: true`.',
    '  JWT access tokens cannot be introspected (oidc-provider answers `unsupported_token_type`), so',
    '  an API that asks the provider holds an opaque token: this is that check.',
    `- ${CHECKS} checks of each kind per round, two rounds in turn, the better of each counts: ${rounds
      .map((r) => `${fmt(r.introspection)} ÷ ${fmt(r.local)}`)
      .join(', ')}.`,
    '',
    '## Machine and versions',
    '',
    `- CPU: ${cpus[0]?.model.trim()}, ${cpus.length} cores; load average (1 min) before and after: ${loadBefore[0].toFixed(2)}, ${os.loadavg()[0].toFixed(2)}`,
    `- Node.js ${process.version}, oidc-provider ${versionOf('oidc-provider')}, jose ${versionOf('jose')}; database ${database.engine}`,
    '',
  ].join('\n');
}

process.once('SIGINT', () => process.exit(130));

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
