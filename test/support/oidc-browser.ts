import * as client from 'openid-client';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount, sessionCookie } from './accounts';

export type Browser = ReturnType<typeof request.agent>;

/**
 * A browser and an app (a relying party on openid-client, certified) against the live provider at
 * `issuer`: what the OpenID Connect tests do over and over, in one place.
 */
export function oidcBrowsing(issuerUrl: () => string) {
  const issuer = () => new URL(issuerUrl());

  /** openid-client's view of the provider for one app (plain http is allowed for the test). */
  const discover = (id: string, secret?: string) =>
    client.discovery(issuer(), id, secret, undefined, { execute: [client.allowInsecureRequests] });

  /** A browser signed in here (a cookie jar on the live app), with its session cookie. */
  async function signedInBrowser(name = 'Ada Lovelace') {
    const browser = request.agent(issuerUrl());
    const account = newAccount({ name });
    const registered = await browser.post('/auth/register').send(account).expect(201);
    return {
      browser,
      account,
      userId: registered.body.user.id as string,
      cookie: sessionCookie(registered),
    };
  }

  /** Signs the browser's person in again with their password (a new session, a new sign-in). */
  async function signInAgain(browser: Browser, email: string) {
    await browser.post('/auth/login').send({ login: email, password: GOOD_PASSWORD }).expect(200);
  }

  /** Follows the redirects in `browser` until they leave this service (or reach `/login`). */
  async function follow(browser: Browser, start: URL): Promise<URL> {
    let url = start;
    for (let step = 0; url.origin === issuer().origin && url.pathname !== '/login'; step++) {
      if (step === 10) throw new Error(`More than 10 redirects from ${start.pathname}`);
      const response = await browser.get(url.pathname + url.search);
      const location = response.headers.location as string | undefined;
      if (!location) throw new Error(`${response.status} at ${url.pathname}: ${response.text}`);
      url = new URL(location, url);
    }
    return url;
  }

  /** From /login (after signing in there) back to where the sign-in was asked for. */
  const returnFrom = (browser: Browser, atLogin: URL) =>
    follow(browser, new URL(atLogin.searchParams.get('returnTo')!, issuer()));

  /** The authorization request with PKCE (and a nonce unless `nonce: false`), as the app starts it. */
  async function authorize(
    config: client.Configuration,
    redirectUri: string,
    extra: Record<string, string | false> = {},
  ) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = extra.nonce === false ? undefined : client.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...(nonce && { nonce }),
    };
    for (const [name, value] of Object.entries(extra)) {
      if (value !== false) parameters[name] = value;
    }
    const url = client.buildAuthorizationUrl(config, parameters);
    return { url, verifier, state, nonce };
  }

  /** The app's side of the callback: the code exchanged (state, PKCE and nonce checked). */
  const redeem = (
    config: client.Configuration,
    callback: URL,
    asked: { verifier: string; state: string; nonce?: string },
    extra: { maxAge?: number } = {},
  ) =>
    client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: asked.verifier,
      expectedState: asked.state,
      ...(asked.nonce ? { expectedNonce: asked.nonce } : { idTokenExpected: true }),
      ...extra,
    });

  return { issuer, discover, signedInBrowser, signInAgain, follow, returnFrom, authorize, redeem };
}
