// The bench's app of the service's OpenID provider, and a signed-in person's way through it: codes
// from /oauth2/authorize (with a session, no consent: the app is first-party), the token
// endpoint's answers for them, and a JWT access token for the bench's API.
'use strict';
const { createHash, randomBytes } = require('node:crypto');

const API = 'https://orders.example.test';
const APP = {
  client_id: 'bench',
  client_secret: randomBytes(32).toString('base64url'),
  redirect_uris: ['https://bench.example.test/callback'],
  scope: 'openid profile email offline_access orders:read',
};
const BASIC = `Basic ${Buffer.from(`${APP.client_id}:${APP.client_secret}`).toString('base64')}`;
const VERIFIER = randomBytes(32).toString('base64url');

/** OIDC_CLIENTS and OIDC_RESOURCES for the service. */
const oidcEnvironment = () => ({
  OIDC_KEY_SECRET: randomBytes(32).toString('base64url'),
  OIDC_CLIENTS: JSON.stringify([APP]),
  OIDC_RESOURCES: JSON.stringify([{ indicator: API, scopes: ['orders:read'] }]),
});

/** One authorization code for the person whose cookies (a Cookie header's value) are `cookie`. */
async function authorizationCode(url, cookie) {
  const cookies = new Map(
    cookie
      .split('; ')
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  let location = `/oauth2/authorize?${new URLSearchParams({
    client_id: APP.client_id,
    redirect_uri: APP.redirect_uris[0],
    response_type: 'code',
    scope: APP.scope,
    resource: API,
    code_challenge: createHash('sha256').update(VERIFIER).digest('base64url'),
    code_challenge_method: 'S256',
  })}`;
  for (let step = 0; step < 10 && !location.startsWith(APP.redirect_uris[0]); step++) {
    const target = new URL(location, url);
    const response = await fetch(url + target.pathname + target.search, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      signal: AbortSignal.timeout(30_000),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    location = response.headers.get('location') ?? '';
  }
  const code = location.startsWith(APP.redirect_uris[0])
    ? new URL(location).searchParams.get('code')
    : null;
  if (!code) throw new Error(`no authorization code: ${location}`);
  return code;
}

/** The token request that exchanges `code`, for autocannon or fetch. */
function codeExchange(code) {
  return {
    method: 'POST',
    path: '/oauth2/token',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP.redirect_uris[0],
      code_verifier: VERIFIER,
    }).toString(),
  };
}

async function tokenRequest(url, { method, path, headers, body }) {
  const response = await fetch(url + path, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200)
    throw new Error(`token: ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * The person's tokens: an opaque access token (userinfo's, which introspection answers for) and,
 * from the refresh token, a JWT access token for the API.
 */
async function tokens(url, cookie) {
  const first = await tokenRequest(url, codeExchange(await authorizationCode(url, cookie)));
  const api = await tokenRequest(url, {
    method: 'POST',
    path: '/oauth2/token',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      resource: API,
    }).toString(),
  });
  return { opaque: first.access_token, jwt: api.access_token };
}

/** An introspection request of `token` with the app's credentials. */
function introspection(token) {
  return {
    method: 'POST',
    path: '/oauth2/introspect',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  };
}

module.exports = { API, oidcEnvironment, authorizationCode, codeExchange, tokens, introspection };
