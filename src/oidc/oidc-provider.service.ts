import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { NextFunction, Request, Response } from 'express';
import type { Connection } from 'mongoose';
import { hkdfSync, type JsonWebKey } from 'node:crypto';
import Provider, {
  type Configuration,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { BrowserSessions } from '../auth/browser-sessions';
import { AppConfig } from '../config/app-config';
import { nameRoute } from '../metrics/route-label';
import { User } from '../users/schemas/user.schema';
import { profileDataOf } from '../users/profile-data';
import { UsersRepository } from '../users/users.repository';
import { MongoAdapter } from '../oidc-storage/mongo-adapter';
import { PROVIDER_MODELS } from '../oidc-storage/provider-records';
import { KEY_CHECK_INTERVAL_MS, SigningKeys } from './signing-keys';
import {
  failingTemporarily,
  orTemporarilyUnavailable,
  sayWhenToRetry,
} from './temporarily-unavailable';

/** The provider's endpoints, named as FusionAuth names them. */
export const OIDC_ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userinfo',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  jwks: '/.well-known/jwks.json',
} as const;

/** How long an ID token lives: a replaced key stays published at least that long. */
export const ID_TOKEN_TTL_SECONDS = 3600;

/** Where the provider sends a browser to sign in (and back): handled by InteractionController. */
export const INTERACTION_PATH = '/oauth2/interaction';

/** Claims by scope; `sub` is the account's id as a string, stable forever. */
const CLAIMS = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'preferred_username'],
};

/**
 * This service as the OpenID Connect provider of the team's apps (oidc-provider), with its
 * storage in MongoDB. Enabled when OIDC_CLIENTS configures apps. Signing in at the provider is
 * signing in here: the interaction sends the browser to /login and back.
 */
@Injectable()
export class OidcProvider implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OidcProvider');
  private provider?: Provider;
  /** The provider's request handler, made once per build. */
  private handle?: ReturnType<Provider['callback']>;
  private paths = new Set<string>();
  /** PUBLIC_URL's path, without a trailing slash ('' at the root). */
  private readonly basePath: string;
  /** The ids of the keys the provider was built with, newest first. */
  private keyIds = '';
  private keyCheck?: NodeJS.Timeout;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly config: AppConfig,
    private readonly keys: SigningKeys,
    private readonly users: UsersRepository,
    private readonly browserSessions: BrowserSessions,
  ) {
    this.basePath = config.basePath;
  }

  get enabled(): boolean {
    return this.config.oidcClients.length > 0;
  }

  /** The running provider; only when enabled. */
  get instance(): Provider {
    if (!this.provider) throw new Error('The OpenID Connect provider is not enabled');
    return this.provider;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    await MongoAdapter.ensureIndexes(this.connection.db!, PROVIDER_MODELS);
    await this.build();
    this.paths = new Set([...Object.values(OIDC_ROUTES), '/.well-known/openid-configuration']);
    // A key added by `rotate-keys` (on any machine) is published here within a minute, and signs
    // once every instance publishes it (SigningKeys), without a restart.
    this.keyCheck = setInterval(() => {
      this.reloadKeys().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Could not check for new signing keys'),
      );
    }, KEY_CHECK_INTERVAL_MS);
    this.keyCheck.unref();
    this.logger.log(
      `OpenID Connect provider at ${this.config.publicUrl} for ${this.config.oidcClients.length} app(s)`,
    );
  }

  onModuleDestroy(): void {
    clearInterval(this.keyCheck);
  }

  /**
   * Publishes a new key, or starts signing with one, when the stored keys or their order changed.
   * The provider keeps nothing in memory that matters (everything is in MongoDB), so it is simply
   * built again.
   */
  async reloadKeys(): Promise<void> {
    if (!this.provider) return;
    const keys = await this.keys.load();
    const ids = keys.map(({ kid }) => kid).join(' ');
    if (ids !== this.keyIds) await this.build(keys);
  }

  private async build(keys?: JsonWebKey[]): Promise<void> {
    const db = this.connection.db!;
    const jwks = keys ?? (await this.keys.load());
    const provider = new Provider(this.config.publicUrl, {
      ...this.configuration(),
      adapter: (model: string) => failingTemporarily(new MongoAdapter(model, db)),
      jwks: { keys: jwks },
    });
    // Its host and scheme come from X-Forwarded-Host/-Proto, which middleware() sets from PUBLIC_URL.
    provider.proxy = true;
    sayWhenToRetry(provider);
    provider.on('server_error', (_ctx: unknown, error: Error) =>
      this.logger.error({ err: error }, 'OpenID Connect provider error'),
    );
    this.provider = provider;
    this.handle = provider.callback();
    this.keyIds = jwks.map(({ kid }) => kid).join(' ');
  }

  /** Express middleware: the provider's own endpoints; everything else goes on to Nest. */
  middleware() {
    return (request: Request, response: Response, next: NextFunction) => {
      // Not async: it runs for every request (configure-app mounts it only when apps are configured).
      const handle = this.handle;
      if (!handle) return next();
      const path = request.path;
      if (this.paths.has(path) || path.startsWith(`${OIDC_ROUTES.authorization}/`)) {
        return this.serve(handle, request, response, next);
      }
      next();
    };
  }

  /** One of the provider's endpoints; a rejection reaches express's error handling. */
  private async serve(
    handle: NonNullable<typeof this.handle>,
    request: Request,
    response: Response,
    next: NextFunction,
  ): Promise<void> {
    const path = request.path;
    // The uid after /oauth2/authorize/ is one sign-in's: the metrics get the pattern.
    nameRoute(response, this.paths.has(path) ? path : `${OIDC_ROUTES.authorization}/:uid`);
    try {
      if (path === OIDC_ROUTES.authorization) await this.answerSilentlyWhenSignedIn(request);
    } catch (error) {
      return next(error);
    }
    // The provider writes its URLs (discovery, redirects) from the request: make them PUBLIC_URL's
    // whatever Host a client sent, and under PUBLIC_URL's path, which a proxy strips before us.
    const publicUrl = new URL(this.config.publicUrl);
    request.headers['x-forwarded-host'] = publicUrl.host;
    request.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
    request.originalUrl = `${this.basePath}${request.url}`;
    return handle(request, response);
  }

  /**
   * prompt=none from a browser signed in here (recently enough for max_age): the provider may not
   * know that yet (its own session starts with its first interaction), so the request goes on
   * without prompt=none; the interaction then completes at once, with nothing shown.
   */
  private async answerSilentlyWhenSignedIn(request: Request): Promise<void> {
    const url = new URL(request.url, 'http://internal');
    if (url.searchParams.get('prompt') !== 'none') return;
    const auth = await this.browserSessions.authenticate(request);
    if (!auth) return;
    const maxAge = Number(url.searchParams.get('max_age') ?? Infinity);
    const age = (Date.now() - auth.session.authenticatedAt.getTime()) / 1000;
    if (Number.isNaN(maxAge) || age > maxAge) return;
    url.searchParams.delete('prompt');
    request.url = url.pathname + url.search;
  }

  private configuration(): Configuration {
    const cookieKey = Buffer.from(
      hkdfSync('sha256', this.config.oidcKeySecret, '', 'provider-cookies', 32),
    );
    return {
      clients: this.config.oidcClients.map((client) => ({ ...client })),
      routes: { ...OIDC_ROUTES },
      // Our GET /oauth2/logout (LogoutController), announced where apps look for it.
      discovery: { end_session_endpoint: `${this.config.publicUrl}/oauth2/logout` },
      // The authorization code flow only (no implicit or hybrid responses).
      responseTypes: ['code'],
      scopes: ['openid', 'email', 'profile', 'offline_access', 'data'],
      claims: { ...CLAIMS, data: ['data'] },
      conformIdTokenClaims: false,
      // A disabled account is unknown to the apps: its codes and refresh tokens are refused.
      findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
        const user = await orTemporarilyUnavailable(() => this.users.findById(sub));
        return user && user.disabled !== true
          ? { accountId: sub, claims: () => claimsOf(user) }
          : undefined;
      },
      interactions: {
        url: (_ctx, interaction) => `${this.basePath}${INTERACTION_PATH}/${interaction.uid}`,
        policy: this.policy(),
      },
      features: {
        devInteractions: { enabled: false },
        // An app may introspect only the tokens issued to it.
        introspection: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
        },
        revocation: { enabled: true },
        // GET /oauth2/logout is ours (LogoutController): it ends this service's session too.
        rpInitiatedLogout: { enabled: false },
      },
      // Public clients must prove the code is theirs; confidential ones may.
      pkce: { required: (_ctx, client) => client.tokenEndpointAuthMethod === 'none' },
      cookies: { keys: [cookieKey.toString('base64url')] },
      issueRefreshToken: (_ctx, client, code) =>
        client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      rotateRefreshToken: true,
      loadExistingGrant: (ctx) => grantEverythingAsked(ctx),
      ttl: {
        AccessToken: 3600,
        AuthorizationCode: 60,
        IdToken: ID_TOKEN_TTL_SECONDS,
        Interaction: 3600,
        RefreshToken: 14 * 86400,
        Session: 14 * 86400,
        Grant: 14 * 86400,
      },
      // A request the provider cannot send back to the app (an unknown app or redirect_uri).
      renderError: (ctx, out) => {
        ctx.type = 'html';
        ctx.body = errorPage(out, this.config.APP_NAME);
      },
      clientBasedCORS: (_ctx, origin, client) =>
        client.redirectUris?.some((uri) => new URL(uri).origin === origin) ?? false,
    };
  }

  /**
   * oidc-provider's interaction policy, with a prompt of ours first (its checks run before the
   * base ones, which run side by side):
   *  - this service's session decides who is signed in: a provider session left from before
   *    signing out here, or of another account, counts for nothing (prompt=none: login_required);
   *  - `offline_access` kept for first-party apps: OpenID Connect drops it unless the request also
   *    asks for the consent screen, which these apps never show.
   */
  private policy() {
    const { base, Check, Prompt } = interactionPolicy;
    const policy = base();
    const serviceSession = new Check(
      'service_session',
      'the person is not (or no longer) signed in to this service',
      'login_required',
      async (ctx) => {
        const { session } = ctx.oidc;
        if (!session?.accountId) return Check.NO_NEED_TO_PROMPT;
        const auth = await orTemporarilyUnavailable(() =>
          this.browserSessions.authenticate(ctx.req as unknown as Request),
        );
        return auth?.user._id.toHexString() === session.accountId
          ? Check.NO_NEED_TO_PROMPT
          : Check.REQUEST_PROMPT;
      },
    );
    const offlineAccess = new Check(
      'offline_access',
      'refresh tokens for a first-party app',
      (ctx) => {
        const { oidc } = ctx;
        const words = (value: unknown) => (typeof value === 'string' ? value.split(' ') : []);
        const requested = words(oidc.params?.scope);
        const asked = words((ctx.query as Record<string, unknown>).scope);
        if (
          asked.includes('offline_access') &&
          !requested.includes('offline_access') &&
          oidc.client?.grantTypeAllowed('refresh_token') &&
          !oidc.prompts.has('none')
        ) {
          oidc.params!.scope = [...requested, 'offline_access'].join(' ');
        }
        return Check.NO_NEED_TO_PROMPT;
      },
    );
    policy.add(
      new Prompt({ name: 'service', requestable: false }, serviceSession, offlineAccess),
      0,
    );
    return policy;
  }
}

/**
 * The apps are first-party: the grant covers whatever the app asked for, with no consent screen,
 * added to the grant it already has in this browser.
 */
async function grantEverythingAsked(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  const clientId = oidc.client?.clientId;
  if (!accountId || !clientId) return undefined;
  const existing = oidc.session?.grantIdFor(clientId);
  const grant =
    (existing && (await oidc.provider.Grant.find(existing))) ||
    new oidc.provider.Grant({ accountId, clientId });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...oidc.requestParamClaims]);
  await grant.save();
  return grant;
}

/** A plain page for what cannot go back to the app: its error code and description, escaped. */
function errorPage(out: { error?: string; error_description?: string }, appName: string): string {
  const escape = (value: unknown) =>
    String(typeof value === 'string' ? value : '').replace(
      /[&<>"']/g,
      (c) => `&#${c.charCodeAt(0)};`,
    );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in refused · ${escape(appName)}</title><link rel="stylesheet" href="/assets/styles.css"></head><body><main id="main"><h1>This sign-in request was refused</h1><p class="alert" role="alert"><strong>${escape(out.error)}</strong>: ${escape(out.error_description)}</p><p>Go back to the app and try again. If it keeps happening, tell the app's team.</p></main></body></html>`;
}

/** What the apps learn of an account, by scope (see CLAIMS). */
function claimsOf(user: User) {
  return {
    sub: user._id.toHexString(),
    email: user.email,
    email_verified: user.email !== undefined && user.emailVerified === true,
    name: user.name,
    preferred_username: user.username,
    // Scope `data`: the operator's profile fields (PROFILE_FIELDS), as GET /me shows them.
    data: profileDataOf(user),
  };
}
