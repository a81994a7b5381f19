import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { NextFunction, Request, Response } from 'express';
import type { Connection } from 'mongoose';
import { hkdfSync, type JsonWebKey } from 'node:crypto';
import Provider, {
  type Configuration,
  type Interaction,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { Auth } from '../sign-in/authenticated-request';
import type { SecondStepRequired } from '../sign-in/sign-in.service';
import { SecondStepSignIn } from '../sign-in/two-step/second-step-sign-in';
import { AppConfig } from '../platform/config/app-config';
import { OpenIdConfig, openIdConfig } from './openid-config';
import { AppError } from '../platform/http/app-error';
import { nameRoute } from '../platform/metrics/route-label';
import { User } from '../users/schemas/user.schema';
import { profileDataOf } from '../users/profile-data';
import { UsersRepository } from '../users/users.repository';
import { grantForInteraction } from './first-party-grants';
import { AppConsent, type ConsentAsked, recordAppUse } from './app-consent';
import { AppGrants } from './storage/app-grants';
import { policyFollowing } from './interaction-policy';
import { ACR_VALUES, authenticationOf, stepUpOwed } from './authentication-context';
import { nextStep, resultAskingSignIn, STEP_UP_OFFERED } from './interaction-step';
import { ServiceSession } from './service-session';
import { backchannelLogoutFeature } from './backchannel/backchannel-logout-feature';
import { MongoAdapter } from './storage/mongo-adapter';
import { ProviderRecords } from './storage/provider-records';
import {
  answeredWithoutProvider,
  type EndpointMethods,
  PROVIDER_METHODS,
} from './provider-methods';
import { KEY_CHECK_INTERVAL_MS, SigningKeys } from './signing-keys';
import { DEVICE_PAGE_PATH, deviceFlowFeature, devicePolling } from './device-flow';
import { DeviceRequests } from './device-requests';
import { DeviceCodes } from './storage/device-codes';
import { answerAuthorizationByPost } from './authorization-by-post';
import { specificationSettings } from './specification-settings';
import { accessTokenTtl, apiFeatures, CLIENT_AUTH_METHODS, withoutApiScopes } from './api-access';
import {
  failingTemporarily,
  orTemporarilyUnavailable,
  sayWhenToRetry,
} from './temporarily-unavailable';

/**
 * The provider's endpoints, named as FusionAuth names them. Every endpoint the discovery document
 * advertises is here (or, /oauth2/logout, a controller of ours): middleware() serves only these.
 */
export const OIDC_ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userinfo',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  // Pushed authorization requests (RFC 9126), which oidc-provider offers by default.
  pushed_authorization_request: '/oauth2/par',
  // RFC 8628: a CLI or TV asks here for a code a person enters at /device (device-flow.ts).
  device_authorization: '/oauth2/device_authorize',
  jwks: '/.well-known/jwks.json',
} as const;

/**
 * What finishInteraction did: answered the browser itself; or the browser is to sign in here first
 * (`twoFactors`: the app asks for two, and a passkey gives them), or to give two-step sign-in's
 * code to the pending second step `step` (its cookie still to set); or the app of another party
 * asks for consent (the consent page: consentAsked, answerConsent).
 */
export type InteractionOutcome =
  | { next: 'answered' }
  | { next: 'consent' }
  | { next: 'sign-in'; twoFactors: boolean }
  | { next: 'second-factor'; step: SecondStepRequired };

/** How long an ID token lives: a replaced key stays published at least that long. */
export const ID_TOKEN_TTL_SECONDS = 3600;

/** Where the provider sends a browser to sign in (and back): handled by InteractionController. */
export const INTERACTION_PATH = '/oauth2/interaction';

/**
 * Claims by scope; `sub` is the account's id as a string, stable forever. Every ID token says how
 * its person signed in here (`amr`, and `acr` for two factors: authentication-context.ts).
 */
const CLAIMS = {
  openid: ['sub', 'amr', 'acr'],
  email: ['email', 'email_verified'],
  profile: ['name', 'preferred_username'],
};

/**
 * This service as the OpenID Connect provider of the team's apps (oidc-provider), with its
 * storage in MongoDB. Enabled when OIDC_CLIENTS configures apps. Signing in at the provider is
 * signing in here: the interaction sends the browser to /login and back.
 * The one adapter of the library: the rest of the service sees its endpoints (middleware()) and
 * finishInteraction(), never its grants, sessions or interactions.
 */
@Injectable()
export class OidcProvider implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OidcProvider');
  private provider?: Provider;
  /** The provider's request handler, made once per build. */
  private handle?: ReturnType<Provider['callback']>;
  /** The provider's endpoints by path, with the methods each takes. */
  private endpoints = new Map<string, EndpointMethods>();
  /** PUBLIC_URL's path, without a trailing slash ('' at the root). */
  private readonly basePath: string;
  /** The ids of the keys the provider was built with, newest first. */
  private keyIds = '';
  private keyCheck?: NodeJS.Timeout;
  /** The key of the device flow's user codes as stored (MongoAdapter's userCodeDigest). */
  private readonly userCodeKey: Buffer;
  private readonly consent: AppConsent;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly config: AppConfig,
    @Inject(openIdConfig.KEY) private readonly openid: OpenIdConfig,
    private readonly keys: SigningKeys,
    private readonly users: UsersRepository,
    private readonly serviceSession: ServiceSession,
    private readonly records: ProviderRecords,
    private readonly secondStep: SecondStepSignIn,
    private readonly appGrants: AppGrants,
  ) {
    this.basePath = config.basePath;
    this.consent = new AppConsent(openid.oidcClients, appGrants);
    this.userCodeKey = Buffer.from(
      hkdfSync('sha256', openid.oidcKeySecret, '', 'device-user-codes', 32),
    );
  }

  /** The device flow's requests, for the /device page (device-requests.ts). Only when enabled. */
  get deviceRequests(): DeviceRequests {
    return new DeviceRequests(
      this.instance,
      new DeviceCodes(this.connection.db!, this.userCodeKey),
      this.openid,
      providerLogin,
    );
  }

  get enabled(): boolean {
    return this.openid.oidcClients.length > 0;
  }

  /** The running provider; only when enabled. */
  private get instance(): Provider {
    if (!this.provider) throw new Error('The OpenID Connect provider is not enabled');
    return this.provider;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    await this.records.prepare();
    await this.build();
    this.endpoints = new Map([
      ...Object.entries(OIDC_ROUTES).map(
        ([name, path]) => [path, PROVIDER_METHODS[name as keyof typeof OIDC_ROUTES]] as const,
      ),
      ['/.well-known/openid-configuration', PROVIDER_METHODS.discovery],
      // RFC 8414's name for the same metadata, which the provider serves too.
      ['/.well-known/oauth-authorization-server', PROVIDER_METHODS.discovery],
    ]);
    // A key added by `rotate-keys` (on any machine) is published here within a minute, and signs
    // once every instance publishes it (SigningKeys), without a restart.
    this.keyCheck = setInterval(() => {
      this.reloadKeys().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'Could not check for new signing keys'),
      );
    }, KEY_CHECK_INTERVAL_MS);
    this.keyCheck.unref();
    this.logger.log(
      `OpenID Connect provider at ${this.config.publicUrl} for ${this.openid.oidcClients.length} app(s)`,
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
      adapter: (model: string) =>
        failingTemporarily(
          new MongoAdapter(
            model,
            db,
            (grantId) => this.records.revokeGrant(grantId),
            this.userCodeKey,
          ),
        ),
      jwks: { keys: jwks },
    });
    // Its host and scheme come from X-Forwarded-Host/-Proto, which middleware() sets from PUBLIC_URL.
    provider.proxy = true;
    sayWhenToRetry(provider);
    provider.use(devicePolling(new DeviceCodes(db, this.userCodeKey)));
    recordAppUse(provider, this.appGrants, this.logger);
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
      const fixed = this.endpoints.get(path);
      const resume = !fixed && path.startsWith(`${OIDC_ROUTES.authorization}/`);
      if (!fixed && !resume) return next();
      // The uid after /oauth2/authorize/ is one sign-in's: the metrics get the pattern.
      nameRoute(response, fixed ? path : `${OIDC_ROUTES.authorization}/:uid`);
      if (answeredWithoutProvider(request, response, fixed ?? PROVIDER_METHODS.resume)) return;
      if (path === OIDC_ROUTES.authorization && request.method === 'POST') {
        return answerAuthorizationByPost(request, response, `${this.basePath}${path}`);
      }
      return this.serve(handle, request, response);
    };
  }

  /** One of the provider's endpoints. */
  private serve(
    handle: NonNullable<typeof this.handle>,
    request: Request,
    response: Response,
  ): Promise<void> {
    // The provider writes its URLs (discovery, redirects) from the request: make them PUBLIC_URL's
    // whatever Host a client sent, and under PUBLIC_URL's path, which a proxy strips before us.
    const publicUrl = new URL(this.config.publicUrl);
    request.headers['x-forwarded-host'] = publicUrl.host;
    request.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
    request.originalUrl = `${this.basePath}${request.url}`;
    return handle(request, response);
  }

  private configuration(): Configuration {
    const cookieKey = Buffer.from(
      hkdfSync('sha256', this.openid.oidcKeySecret, '', 'provider-cookies', 32),
    );
    return {
      ...specificationSettings(),
      clients: this.openid.oidcClients.map((client) =>
        withoutApiScopes(client, this.openid.oidcResources),
      ),
      routes: { ...OIDC_ROUTES, code_verification: DEVICE_PAGE_PATH },
      // Our /oauth2/logout (OAuthLogoutController, a page), announced where apps look for it.
      discovery: { end_session_endpoint: `${this.config.publicUrl}/oauth2/logout` },
      // The authorization code flow only (no implicit or hybrid responses).
      responseTypes: ['code'],
      scopes: ['openid', 'email', 'profile', 'offline_access', 'data'],
      claims: { ...CLAIMS, data: ['data'] },
      acrValues: ACR_VALUES,
      conformIdTokenClaims: false,
      findAccount: (_ctx: KoaContextWithOIDC, sub: string) => this.findAccount(sub),
      interactions: {
        url: (_ctx, interaction) => `${this.basePath}${INTERACTION_PATH}/${interaction.uid}`,
        policy: policyFollowing({
          followServiceSession: (ctx) => this.followServiceSession(ctx),
          owesStepUp: async (ctx) =>
            stepUpOwed(
              ctx.oidc.params,
              await orTemporarilyUnavailable(() =>
                this.serviceSession.of(ctx.req as unknown as Request),
              ),
            ) !== undefined,
        }),
      },
      features: {
        devInteractions: { enabled: false },
        // An app may introspect only the tokens issued to it.
        introspection: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
        },
        // An app may revoke only the tokens issued to it (RFC 7009 §2.1); another's is left alone.
        revocation: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
        },
        // /oauth2/logout is ours (OAuthLogoutController): it ends this service's session too.
        rpInitiatedLogout: { enabled: false },
        deviceFlow: deviceFlowFeature(),
        ...apiFeatures(this.openid),
        backchannelLogout: backchannelLogoutFeature(),
      },
      clientAuthMethods: [...CLIENT_AUTH_METHODS],
      // Public clients must prove the code is theirs; confidential ones may.
      pkce: { required: (_ctx, client) => client.tokenEndpointAuthMethod === 'none' },
      cookies: { keys: [cookieKey.toString('base64url')] },
      issueRefreshToken: (_ctx, client, code) =>
        client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      rotateRefreshToken: true,
      loadExistingGrant: (ctx) => this.consent.loadGrant(ctx),
      ttl: {
        AccessToken: accessTokenTtl(3600),
        ClientCredentials: accessTokenTtl(3600),
        AuthorizationCode: 60,
        IdToken: ID_TOKEN_TTL_SECONDS,
        Interaction: 3600,
        RefreshToken: 14 * 86400,
        Session: 14 * 86400,
        Grant: 14 * 86400,
        DeviceCode: 600,
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
   * Where an app's authorization request needs the person (at INTERACTION_PATH): signed in here
   * already (recently enough when the app asked for a fresh sign-in), it completes at once and the
   * browser goes back to the provider; a request whose `id_token_hint` names someone else shows
   * the sign-in page once, and whoever comes back still not them, the app gets `login_required`.
   * An app asking for two factors (`acr_values=mfa`) of a person signed in with one gets a second
   * asked for once (authentication-context's step up). Otherwise the browser is to sign in here,
   * and come back.
   */
  async finishInteraction(request: Request, response: Response): Promise<InteractionOutcome> {
    const provider = this.instance;
    const interaction = await provider.interactionDetails(request, response).catch(() => {
      // No interaction for this browser: expired, already finished, or started elsewhere.
      throw new AppError(
        'SIGN_IN_REQUEST_EXPIRED',
        'This sign-in request has expired or was already used. Go back to the app and sign in again.',
      );
    });
    const step = nextStep(interaction, await this.serviceSession.of(request));
    if (step.kind === 'refuse') {
      // The app hears so at its redirect_uri, rather than the sign-in page coming back or a code
      // for someone else.
      await provider.interactionFinished(
        request,
        response,
        {
          error: 'login_required',
          error_description: 'The person signed in is not the one id_token_hint names',
        },
        { mergeWithLastSubmission: false },
      );
      return { next: 'answered' };
    }
    if (step.kind === 'sign-in') {
      const asking = resultAskingSignIn(interaction, step.offerOnce);
      if (asking) {
        await provider.interactionResult(request, response, asking, {
          mergeWithLastSubmission: false,
        });
      }
      return { next: 'sign-in', twoFactors: false };
    }
    if (step.kind === 'step-up') {
      await provider.interactionResult(
        request,
        response,
        { ...interaction.result, ...STEP_UP_OFFERED },
        { mergeWithLastSubmission: false },
      );
      return step.via === 'second-factor'
        ? { next: 'second-factor', step: await this.secondStep.stepUp(step.auth) }
        : { next: 'sign-in', twoFactors: true };
    }
    if (!this.consent.firstParty(interaction.params.client_id as string)) {
      // Another party's app: its consent prompt shows the consent page; a sign-in finishes
      // alone, and the provider then asks for consent if the grant lacks anything.
      if (interaction.prompt.name === 'consent') return { next: 'consent' };
      await this.finishAs(request, response, interaction, step.auth, { consent: false });
      return { next: 'answered' };
    }
    await this.finishAs(request, response, interaction, step.auth, { consent: true });
    return { next: 'answered' };
  }

  /**
   * What the consent page shows, when the interaction is at the consent prompt of another
   * party's app and the person is signed in here; else undefined (the interaction decides again).
   */
  async consentAsked(request: Request, response: Response): Promise<ConsentAsked | undefined> {
    const interaction = await this.consentInteraction(request, response);
    return interaction && this.consent.asked(interaction.details);
  }

  /**
   * The person's answer on the consent page: Allow grants what the app asked for and sends the
   * browser on to the app with its code; Deny sends the app `access_denied` (with its state).
   * False when there is no such question any more (the interaction decides again).
   */
  async answerConsent(request: Request, response: Response, allow: boolean): Promise<boolean> {
    const interaction = await this.consentInteraction(request, response);
    if (!interaction) return false;
    if (allow) {
      await this.finishAs(request, response, interaction.details, interaction.auth, {
        consent: true,
      });
    } else {
      await this.instance.interactionFinished(
        request,
        response,
        { error: 'access_denied', error_description: 'The person did not allow the app access' },
        { mergeWithLastSubmission: false },
      );
    }
    return true;
  }

  /** The interaction, when it waits for consent to another party's app from who is signed in. */
  private async consentInteraction(request: Request, response: Response) {
    const details = await this.instance.interactionDetails(request, response).catch(() => {
      throw new AppError(
        'SIGN_IN_REQUEST_EXPIRED',
        'This sign-in request has expired or was already used. Go back to the app and sign in again.',
      );
    });
    const step = nextStep(details, await this.serviceSession.of(request));
    if (
      step.kind !== 'finish' ||
      details.prompt.name !== 'consent' ||
      this.consent.firstParty(details.params.client_id as string)
    ) {
      return undefined;
    }
    return { details, auth: step.auth };
  }

  /**
   * Finishes the interaction as `auth`'s person: signed in as they signed in here, and with
   * `consent` what the provider found missing added to their grant.
   */
  private async finishAs(
    request: Request,
    response: Response,
    interaction: Interaction,
    auth: Auth,
    { consent }: { consent: boolean },
  ): Promise<void> {
    const provider = this.instance;
    const login = providerLogin(auth);
    const { accountId } = login;
    await this.leaveForeignSession(interaction, accountId);
    const grantId = consent
      ? await grantForInteraction(provider, interaction, accountId)
      : undefined;
    await provider.interactionFinished(
      request,
      response,
      {
        login: { accountId, ts: login.loginTs, amr: login.amr, acr: login.acr },
        ...(grantId && { consent: { grantId } }),
      },
      { mergeWithLastSubmission: false },
    );
  }

  /**
   * Before an interaction finishes as `accountId`: the provider session it began in, when that is
   * someone else's (who signed out here, or whom this person replaced at /login) or is gone, ends
   * and is forgotten, so that resuming starts a new one. oidc-provider would otherwise first ask
   * to sign the other person out, at an endpoint this service does not serve.
   */
  private async leaveForeignSession(interaction: Interaction, accountId: string): Promise<void> {
    const origin = interaction.session;
    if (!origin) return;
    // By its uid: the stored interaction keeps no copy of the session's cookie (MongoAdapter).
    const session = origin.uid ? await this.instance.Session.findByUid(origin.uid) : undefined;
    if (session?.accountId === accountId) return;
    await session?.destroy();
    interaction.session = undefined;
    await interaction.persist();
  }

  /** A disabled account is unknown to the apps: its codes and refresh tokens are refused. */
  private async findAccount(sub: string) {
    const user = await orTemporarilyUnavailable(() => this.users.findById(sub));
    return user && user.disabled !== true
      ? { accountId: sub, claims: () => claimsOf(user) }
      : undefined;
  }

  /**
   * Makes the provider's session in this browser name whoever is signed in here, as they signed
   * in, or no one. Signing in here is signing in at the provider, so a browser signed in here
   * needs no interaction (prompt=none gets its code), and a provider session left from someone
   * else (signed out here, or replaced by another person's sign-in) counts for nothing: it ends,
   * with the grants it pointed to (which stay that person's), instead of being taken over.
   * The provider has already loaded the account and grant of its session: they follow too.
   * Read once per request (ServiceSession), like the interaction's.
   */
  private async followServiceSession(ctx: KoaContextWithOIDC): Promise<void> {
    const { oidc } = ctx;
    const session = oidc.session!;
    const auth = await orTemporarilyUnavailable(() =>
      this.serviceSession.of(ctx.req as unknown as Request),
    );
    const login = auth ? providerLogin(auth) : undefined;
    if (
      session.accountId === login?.accountId &&
      session.loginTs === login?.loginTs &&
      session.acr === login?.acr &&
      String(session.amr) === String(login?.amr)
    ) {
      return;
    }
    if (session.accountId !== undefined && session.accountId !== login?.accountId) {
      // A new identifier: saving it removes the old record (and the cookie follows).
      session.resetIdentifier();
      for (const field of ['accountId', 'loginTs', 'amr', 'acr', 'transient', 'authorizations']) {
        Reflect.deleteProperty(session, field);
      }
      oidc.entity('Account', undefined);
      oidc.entity('Grant', undefined);
    }
    if (!login) return;
    const loaded = oidc.account?.accountId === login.accountId;
    const account = loaded ? oidc.account : await this.findAccount(login.accountId);
    // Disabled in the meantime: the base checks find no one signed in.
    if (!account) return;
    session.loginAccount(login);
    if (loaded) return;
    // What oidc-provider's loadAccount and loadGrant did before the checks, for this account.
    oidc.entity('Account', account);
    const grant = await this.consent.loadGrant(ctx);
    const clientId = oidc.client!.clientId;
    if (grant) {
      session.ensureClientContainer(clientId);
      session.grantIdFor(clientId, grant.jti);
    }
    // None yet for another party's app: an empty one, which the consent prompt finds lacking.
    oidc.entity(
      'Grant',
      grant ?? new oidc.provider.Grant({ accountId: login.accountId, clientId }),
    );
  }
}

/**
 * How a sign-in here is recorded in the provider's session (and an interaction's result), which
 * the ID tokens (and the refresh tokens' later ones) take `amr` and `acr` from.
 */
export function providerLogin({ user, session }: Auth) {
  return {
    accountId: user._id.toHexString(),
    loginTs: Math.floor(session.authenticatedAt.getTime() / 1000),
    ...authenticationOf(session),
  };
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
