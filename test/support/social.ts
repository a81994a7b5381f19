import request from 'supertest';
import type { App } from 'supertest/types';
import {
  combineOidcEnv,
  OAuthEmulator,
  OidcIssuer,
  ProviderLogin,
  signInAtProvider,
  startFacebookEmulator,
  startGitHubEmulator,
  startGoogleEmulator,
  startOidcIssuer,
} from './providers';
import { createTestApp, TestApp } from './test-app';

export const PUBLIC_URL = 'http://localhost:3000';

/** A person at a provider. Numeric ids, as GitHub's are numbers. */
export interface TestIdentity {
  id: string;
  name?: string;
  /** GitHub login, OIDC preferred_username. */
  login?: string;
  email?: string;
  /** Default true. */
  emailVerified?: boolean;
}

/** One provider of the test world, driven the same way whether emulated or a real OIDC issuer. */
export interface TestProvider {
  key: string;
  name: string;
  /** Facebook never vouches for an email. */
  vouchesForEmail: boolean;
  /** Makes `identity` the one who signs in next; returns the login form answers for OIDC. */
  prepare(identity: TestIdentity): ProviderLogin | undefined;
  emulator?: OAuthEmulator;
  issuer?: OidcIssuer;
}

function emulated(
  key: string,
  name: string,
  emulator: OAuthEmulator,
  vouchesForEmail = true,
): TestProvider {
  return {
    key,
    name,
    vouchesForEmail,
    emulator,
    prepare: (identity) => {
      const verified = identity.emailVerified ?? true;
      emulator.signInAs({
        id: identity.id,
        name: identity.name,
        login: identity.login,
        email: identity.email,
        emailVerified: verified,
        emails: identity.email ? [{ email: identity.email, primary: true, verified }] : undefined,
      });
      return undefined;
    },
  };
}

export interface SocialWorld {
  t: TestApp;
  providers: TestProvider[];
  provider(key: string): TestProvider;
  browser(): Browser;
  close(): Promise<void>;
}

/** The app with Google, GitHub and Facebook emulators and a real OIDC issuer ("okta") configured. */
export async function startSocialWorld(
  env: Record<string, string> = {},
  { captureLogs = false } = {},
): Promise<SocialWorld> {
  const [google, github, facebook, okta] = await Promise.all([
    startGoogleEmulator({ publicUrl: PUBLIC_URL }),
    startGitHubEmulator({ publicUrl: PUBLIC_URL }),
    startFacebookEmulator({ publicUrl: PUBLIC_URL, requireAppSecretProof: true }),
    startOidcIssuer({ key: 'okta', name: 'Okta', publicUrl: PUBLIC_URL }),
  ]);
  const t = await createTestApp({
    captureLogs,
    env: {
      PUBLIC_URL,
      ...google.env(),
      ...github.env(),
      ...facebook.env(),
      ...combineOidcEnv([okta]),
      ...env,
    },
  });
  const providers: TestProvider[] = [
    emulated('google', 'Google', google),
    emulated('github', 'GitHub', github),
    emulated('facebook', 'Facebook', facebook, false),
    {
      key: 'okta',
      name: 'Okta',
      vouchesForEmail: true,
      issuer: okta,
      prepare: (identity) => ({
        sub: identity.id,
        name: identity.name,
        preferred_username: identity.login,
        email: identity.email,
        email_verified: identity.emailVerified ?? true,
      }),
    },
  ];
  return {
    t,
    providers,
    provider: (key) => providers.find((p) => p.key === key)!,
    browser: () => new Browser(t.http),
    close: async () => {
      await t.close();
      await Promise.all([google.close(), github.close(), facebook.close(), okta.close()]);
    },
  };
}

let nextId = 1000;
/** A fresh identity with a unique numeric id and email. */
export function newIdentity(overrides: Partial<TestIdentity> = {}): TestIdentity {
  nextId += 1;
  return {
    id: String(nextId),
    name: `Person ${nextId}`,
    email: `person${nextId}@provider.test`,
    ...overrides,
  };
}

/** A browser: one cookie jar on the app, and the provider side played by signInAtProvider. */
export class Browser {
  readonly agent: ReturnType<typeof request.agent>;

  constructor(http: App) {
    this.agent = request.agent(http);
  }

  /** GET /auth/{key}: the redirect to the provider. */
  async start(provider: TestProvider, returnTo?: string): Promise<string> {
    const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`;
    const response = await this.agent.get(`/auth/${provider.key}${query}`).expect(302);
    return response.headers.location;
  }

  /** Signs in at the provider as `identity`; returns the callback URL (not yet visited). */
  async authorize(provider: TestProvider, identity: TestIdentity, returnTo?: string): Promise<URL> {
    const login = provider.prepare(identity);
    return new URL(
      await signInAtProvider(await this.start(provider, returnTo), login, {
        publicUrl: PUBLIC_URL,
      }),
    );
  }

  /** Visits a callback URL, as JSON (the default here) or as a browser page. */
  callback(url: URL, as: 'json' | 'html' = 'json') {
    return this.agent
      .get(url.pathname + url.search)
      .set('Accept', as === 'json' ? 'application/json' : 'text/html');
  }

  /** The whole dance, ending with the callback's response. */
  async signIn(provider: TestProvider, identity: TestIdentity, as: 'json' | 'html' = 'json') {
    return this.callback(await this.authorize(provider, identity), as);
  }

  /** POST /me/connections/{key}: the redirect to the provider that links it to this account. */
  async startLink(provider: TestProvider): Promise<string> {
    const response = await this.agent.post(`/me/connections/${provider.key}`).expect(200);
    return response.body.redirect as string;
  }

  /** Links `identity` to the signed-in account; ends with the callback's response. */
  async link(provider: TestProvider, identity: TestIdentity, as: 'json' | 'html' = 'json') {
    const login = provider.prepare(identity);
    const callback = await signInAtProvider(await this.startLink(provider), login, {
      publicUrl: PUBLIC_URL,
    });
    return this.callback(new URL(callback), as);
  }

  /** Confirms who is signed in by signing in again at a provider (GET /auth/{key}?reauth=1). */
  async reauthenticate(
    provider: TestProvider,
    identity: TestIdentity,
    as: 'json' | 'html' = 'json',
  ) {
    const login = provider.prepare(identity);
    const start = await this.agent.get(`/auth/${provider.key}?reauth=1`).expect(302);
    const callback = await signInAtProvider(start.headers.location, login, {
      publicUrl: PUBLIC_URL,
    });
    return this.callback(new URL(callback), as);
  }

  me() {
    return this.agent.get('/me');
  }
}

/** provider → subject of the identities stored on a user record, as the tests compare them. */
export function storedIdentities(
  user: { identities?: Array<{ provider: string; subject: string }> } | null,
) {
  return Object.fromEntries(
    (user?.identities ?? []).map(({ provider, subject }) => [provider, subject]),
  );
}
