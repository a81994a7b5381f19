// A real OpenID Connect issuer (oidc-provider) for end-to-end tests. oidc-provider is ESM-only
// and jest runs CommonJS, so oidc-issuer.ts starts this file as a child process.
//
// argv[2]: JSON { clientId, clientSecret, redirectUris, issuerId?, tokenEndpointAuthMethod? }.
// Prints "ready {json}" on stdout once listening; exits when stdin closes (the parent went away).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');

/** @type {Map<string, { sub: string, email?: string, email_verified?: boolean, name?: string, preferred_username?: string }>} */
const accounts = new Map();

function escapeHtml(s) {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

function page(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(`<!doctype html><html><body>${html}</body></html>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

// Listen first: the issuer URL needs the port, and port 0 can't race with another process.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port ?? 0, '127.0.0.1', resolve);
});
const url = `http://127.0.0.1:${server.address().port}`;
// issuerId lets a test announce a different issuer identifier than the URL it is served at.
const issuer = config.issuerId ?? url;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      redirect_uris: config.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      // passport-openidconnect (via the `oauth` package) posts client_id/client_secret in the body.
      token_endpoint_auth_method: config.tokenEndpointAuthMethod ?? 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey()] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'email', 'profile'],
  responseTypes: ['code'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Put scope claims in the ID token too, as Okta, Google and Auth0 do: passport-openidconnect
  // skips userinfo by default and builds its profile from the ID token alone.
  conformIdTokenClaims: false,
  // A challenge, when sent, binds the code to its verifier (the app always sends one); clients
  // without PKCE, like passport-openidconnect in the emulator's own tests, are still served.
  pkce: { required: () => false },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      // oidc-provider filters these down to what the granted scopes/claims allow.
      async claims() {
        return { ...account };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
  },
});

async function showInteraction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, '<h1>interaction mismatch</h1>');
  const { prompt, params, session, grantId } = details;

  if (prompt.name === 'login') {
    return page(
      res,
      200,
      `<h1>Sign in to ${escapeHtml(params.client_id)}</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <input name="sub" required>
  <input name="email" type="email">
  <input name="email_verified" placeholder="true or false">
  <input name="name">
  <input name="preferred_username">
  <button type="submit">Sign in</button>
</form>`,
    );
  }

  if (prompt.name === 'consent') {
    // Consent needs no user input: grant whatever is missing and carry on.
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    if (missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const savedId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: grantId ? {} : { grantId: savedId } },
      { mergeWithLastSubmission: true },
    );
  }

  return page(res, 400, `<h1>Unsupported prompt ${escapeHtml(prompt.name)}</h1>`);
}

async function submitLogin(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid || details.prompt.name !== 'login') {
    return page(res, 400, '<h1>not a login interaction</h1>');
  }
  const form = await readForm(req);
  const sub = form.get('sub');
  if (!sub) return page(res, 400, '<h1>sub is required</h1>');
  const account = { sub };
  for (const claim of ['email', 'name', 'preferred_username']) {
    const value = form.get(claim);
    if (value) account[claim] = value;
  }
  const verified = form.get('email_verified');
  if (verified === 'true' || verified === 'false') account.email_verified = verified === 'true';
  accounts.set(sub, account);
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: sub } },
    { mergeWithLastSubmission: false },
  );
}

const handle = provider.callback();
server.on('request', (req, res) => {
  const { pathname } = new URL(req.url ?? '/', url);
  const show = /^\/interaction\/([^/]+)$/.exec(pathname);
  const login = /^\/interaction\/([^/]+)\/login$/.exec(pathname);
  let work;
  if (show && req.method === 'GET') work = showInteraction(req, res, show[1]);
  else if (login && req.method === 'POST') work = submitLogin(req, res, login[1]);
  else return handle(req, res);
  work.catch((error) => {
    if (res.headersSent) return res.destroy();
    const expired = error instanceof errors.SessionNotFound;
    page(res, expired ? 400 : 500, `<h1>${escapeHtml(error.message)}</h1>`);
  });
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`ready ${JSON.stringify({ url, issuer })}\n`);
