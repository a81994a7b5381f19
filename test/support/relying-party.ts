import type * as client from 'openid-client';
import type { LiveApp } from './live-app';
import { type Browser, oidcBrowsing } from './oidc-browser';

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
 * One app signing its users in at the live app, each sign-in whole (for tests of what comes after
 * it, such as logout); built on the steps of oidc-browser.ts.
 */
export class RelyingParty {
  private readonly oidc: ReturnType<typeof oidcBrowsing>;

  constructor(
    live: LiveApp,
    readonly app: AppMetadata,
  ) {
    this.oidc = oidcBrowsing(() => live.url);
  }

  /** openid-client's view of the provider for this app. */
  discover(): Promise<client.Configuration> {
    return this.oidc.discover(this.app.client_id, this.app.client_secret);
  }

  /** A browser signed in here with a new account, and its session cookie (`name=value`). */
  async signedInBrowser(): Promise<SignedInBrowser> {
    const { browser, userId, account, cookie } = await this.oidc.signedInBrowser();
    return { browser, userId, email: account.email, cookie };
  }

  /** The app's sign-in in `browser`, to the end: its tokens (the ID token among them). */
  async signIn(
    browser: Browser,
    scope = 'openid email',
  ): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
    const config = await this.discover();
    const asked = await this.oidc.authorize(config, this.app.redirect_uris[0], { scope });
    return this.oidc.redeem(config, await this.oidc.follow(browser, asked.url), asked);
  }

  /** Whether `browser` still gets the app signed in silently (prompt=none): a code, or an error. */
  async silentSignIn(browser: Browser): Promise<URL> {
    const config = await this.discover();
    const asked = await this.oidc.authorize(config, this.app.redirect_uris[0], {
      scope: 'openid',
      prompt: 'none',
    });
    return this.oidc.follow(browser, asked.url);
  }
}
