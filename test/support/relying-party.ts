import * as client from 'openid-client';
import request from 'supertest';
import { newAccount, sessionCookie } from './accounts';
import type { LiveApp } from './live-app';

export type Browser = ReturnType<typeof request.agent>;

/** An app registered in OIDC_CLIENTS, as the tests write it. */
export interface AppMetadata {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
}

export interface SignedInBrowser {
  browser: Browser;
  userId: string;
  email: string;
  cookie: string;
}

/**
 * An app signing its users in at the live app with openid-client (a certified relying party), and
 * browsers (cookie jars) signed in there.
 */
export class RelyingParty {
  constructor(
    private readonly live: LiveApp,
    readonly app: AppMetadata,
  ) {}

  /** openid-client's view of the provider for this app (plain http is allowed for the test). */
  discover(): Promise<client.Configuration> {
    return client.discovery(
      new URL(this.live.url),
      this.app.client_id,
      this.app.client_secret,
      undefined,
      { execute: [client.allowInsecureRequests] },
    );
  }

  /** A browser signed in here with a new account, and its session cookie (`name=value`). */
  async signedInBrowser(): Promise<SignedInBrowser> {
    const browser = request.agent(this.live.url);
    const account = newAccount();
    const registered = await browser.post('/auth/register').send(account).expect(201);
    return {
      browser,
      userId: registered.body.user.id as string,
      email: account.email,
      cookie: sessionCookie(registered),
    };
  }

  /** The app's sign-in in `browser`, to the end: its tokens (the ID token among them). */
  async signIn(
    browser: Browser,
    scope = 'openid email',
  ): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    const config = await this.discover();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.app.redirect_uris[0],
      scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await this.follow(browser, url);
    return client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
  }

  /** Whether `browser` still gets the app signed in silently (prompt=none): a code, or an error. */
  async silentSignIn(browser: Browser): Promise<URL> {
    const config = await this.discover();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.app.redirect_uris[0],
      scope: 'openid',
      prompt: 'none',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    return this.follow(browser, url);
  }

  /** Follows redirects in `browser` until they leave this service (or reach `/login`). */
  async follow(browser: Browser, start: URL): Promise<URL> {
    const issuer = new URL(this.live.url);
    let url = start;
    for (
      let step = 0;
      step < 10 && url.origin === issuer.origin && url.pathname !== '/login';
      step++
    ) {
      const response = await browser.get(url.pathname + url.search);
      const location = response.headers.location as string | undefined;
      if (!location) throw new Error(`${response.status} at ${url.pathname}: ${response.text}`);
      url = new URL(location, url);
    }
    return url;
  }
}

/** The CSRF token of the page's forms. */
export function formToken(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`No form token in the page: ${html.slice(0, 500)}`);
  return token;
}
