import * as client from 'openid-client';
import request from 'supertest';
import { GOOD_PASSWORD, newAccount, sessionCookie } from './accounts';

export type Browser = ReturnType<typeof request.agent>;

/** What `follow` may do besides following. */
export interface FollowOptions {
  /** Stop at a consent page too (it answers 200), for an app of another party. */
  stopAtConsent?: boolean;
  /** Sees every response on the way (e.g. to note the cookies it sets). */
  onResponse?: (url: URL, response: request.Response) => void;
}

/** What the app asked for (authorize), as redeeming the code checks it. */
export interface Asked {
  verifier: string;
  state: string;
  nonce?: string;
}

/** What the app's token request adds: max_age to check, parameters (resource), a DPoP key. */
export interface RedeemOptions {
  maxAge?: number;
  parameters?: Record<string, string>;
  DPoP?: client.DPoPHandle;
}

/** The CSRF token of the page's forms. */
export function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`No form token in the page: ${html.slice(0, 500)}`);
  return token;
}

/** A sign-in page of this service: /login and its next steps (/login/second-factor). */
const isSignInPage = (url: URL) => url.pathname === '/login' || url.pathname.startsWith('/login/');
const isConsentPage = (url: URL) => /^\/oauth2\/interaction\/[\w-]+\/consent$/.test(url.pathname);

/**
 * A browser and an app (a relying party on openid-client, certified) against the live provider at
 * `issuer`: what the OpenID Connect tests do over and over, in one place.
 */
export function oidcBrowsing(issuerUrl: () => string) {
  const issuer = () => new URL(issuerUrl());

  /**
   * openid-client's view of the provider for one app (plain http is allowed for the test): its
   * secret (or metadata), and how it authenticates when not by client_secret_basic.
   */
  const discover = (
    id: string,
    secret?: string | Partial<client.ClientMetadata>,
    auth?: client.ClientAuth,
  ) => client.discovery(issuer(), id, secret, auth, { execute: [client.allowInsecureRequests] });

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

  /**
   * Follows the redirects in `browser` until they leave this service or reach a sign-in page
   * (or, when asked, a consent page).
   */
  async function follow(browser: Browser, start: URL, options: FollowOptions = {}): Promise<URL> {
    const stops = (url: URL) =>
      url.origin !== issuer().origin ||
      isSignInPage(url) ||
      (options.stopAtConsent === true && isConsentPage(url));
    let url = start;
    for (let step = 0; !stops(url); step++) {
      if (step === 10) throw new Error(`More than 10 redirects from ${start.pathname}`);
      const response = await browser.get(url.pathname + url.search);
      options.onResponse?.(url, response);
      const location = response.headers.location as string | undefined;
      if (!location) throw new Error(`${response.status} at ${url.pathname}: ${response.text}`);
      url = new URL(location, url);
    }
    return url;
  }

  /** Where a sign-in page sends the browser back to (its returnTo), as a URL here. */
  const returnToOf = (atLogin: URL) => new URL(atLogin.searchParams.get('returnTo')!, issuer());

  /** From /login (after signing in there) back to where the sign-in was asked for. */
  const returnFrom = (browser: Browser, atLogin: URL, options?: FollowOptions) =>
    follow(browser, returnToOf(atLogin), options);

  /**
   * The authorization request with PKCE (and a nonce unless `nonce: false`), as the app starts it;
   * `extra` adds parameters or replaces them (scope).
   */
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
    asked: Asked,
    { maxAge, parameters, DPoP }: RedeemOptions = {},
  ) =>
    client.authorizationCodeGrant(
      config,
      callback,
      {
        pkceCodeVerifier: asked.verifier,
        expectedState: asked.state,
        ...(asked.nonce ? { expectedNonce: asked.nonce } : { idTokenExpected: true }),
        ...(maxAge !== undefined && { maxAge }),
      },
      parameters,
      DPoP && { DPoP },
    );

  return {
    issuer,
    discover,
    signedInBrowser,
    signInAgain,
    follow,
    returnToOf,
    returnFrom,
    authorize,
    redeem,
  };
}
