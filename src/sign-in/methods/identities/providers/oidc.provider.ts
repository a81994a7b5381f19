import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify } from 'jose';
import { Strategy as OAuth2Strategy, VerifyCallback } from 'passport-oauth2';
import { AppError } from '../../../../platform/http/app-error';
import { passportClient } from './passport-client';
import type { ExchangeFlow, ProviderClient } from './provider-client';
import { fromError } from './provider-errors';
import { ProviderIdentity, trimmed } from './provider-identity';
import type { ClientContext, ProviderKind, ProviderSettingsBase } from './provider-kind';

/** An OpenID Connect issuer, configured by OIDC_PROVIDERS and OIDC_<KEY>_* variables. */
export interface OidcSettings extends ProviderSettingsBase {
  /** Exactly as the issuer names itself: issuer identifiers are compared character for character. */
  issuer: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

/** Clock skew tolerated on exp, iat, nbf and auth_time, and the oldest ID token accepted. */
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_TOKEN_AGE = '10m';

/**
 * The authorization code flow of OpenID Connect on passport-oauth2, which brings state and PKCE;
 * this subclass adds the nonce (and, to re-authenticate, prompt and max_age) through
 * authorizationParams, the hook passport-oauth2 documents for provider-specific parameters. The
 * ID token from the token response is verified here with jose (signature against the issuer's
 * JWKS, iss, aud, azp, exp, iat, nonce, and auth_time for a re-authentication).
 */
class OidcCodeStrategy extends OAuth2Strategy {
  override authorizationParams(options: { nonce?: string; prompt?: string; maxAge?: number }) {
    return {
      ...(options.nonce && { nonce: options.nonce }),
      ...(options.prompt && { prompt: options.prompt }),
      ...(options.maxAge !== undefined && { max_age: String(options.maxAge) }),
    };
  }
}

/** Any OpenID Connect issuer: endpoints from its discovery document, read at first use. */
export const oidcProvider: ProviderKind<OidcSettings> = {
  formOrigins: (settings) => [new URL(settings.issuer).origin],
  createClient: (settings, context) => {
    let discovered: Promise<ProviderClient> | undefined;
    // Read the discovery document on first use; after a failure the next sign-in tries again.
    const client = () => {
      discovered ??= discover(settings, context).catch((error: unknown) => {
        discovered = undefined;
        throw fromError(settings.name, error);
      });
      return discovered;
    };
    return {
      authorizationUrl: async (flow) => (await client()).authorizationUrl(flow),
      exchange: async (code, flow) => (await client()).exchange(code, flow),
    };
  },
};

async function discover(settings: OidcSettings, context: ClientContext): Promise<ProviderClient> {
  const document = await readDiscovery(settings.issuer, context.timeoutMs);
  const jwks = createRemoteJWKSet(new URL(document.jwks_uri), {
    timeoutDuration: context.timeoutMs,
  });
  return passportClient(
    {
      name: settings.name,
      reauthenticate: { prompt: 'login', maxAge: 0 },
      strategy: (store, flow) =>
        new OidcCodeStrategy(
          {
            clientID: settings.clientId,
            clientSecret: settings.clientSecret,
            callbackURL: context.callbackURL,
            authorizationURL: document.authorization_endpoint,
            tokenURL: document.token_endpoint,
            scope: ['openid', 'email', 'profile'],
            store,
            pkce: true,
            skipUserProfile: true,
          },
          // Five parameters on purpose: passport-oauth2 then passes the token response (`params`).
          (
            _access: string,
            _refresh: string,
            params: { id_token?: unknown },
            _profile: unknown,
            done: VerifyCallback,
          ) => {
            verifyIdToken(params.id_token, jwks, settings, flow).then(
              (claims) => done(null, oidcIdentity(settings.key, claims)),
              (error: unknown) => done(error as Error),
            );
          },
        ),
    },
    context.timeoutMs,
  );
}

async function readDiscovery(issuer: string, timeoutMs: number): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok) {
    const failure = new Error(`OpenID discovery answered ${response.status}`);
    // A 5xx is an outage; anything else a misconfigured or misbehaving issuer.
    throw response.status >= 500
      ? Object.assign(failure, { oauthError: { statusCode: response.status } })
      : failure;
  }
  const document = (await response.json()) as Partial<Discovery>;
  // OpenID Connect Discovery 1.0 §4.3: the document must name exactly the issuer it was fetched for.
  if (document.issuer !== issuer) {
    throw new AppError(
      'INVALID_ID_TOKEN',
      `The identity provider announces issuer "${String(document.issuer)}", not the configured one.`,
    );
  }
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (typeof document[field] !== 'string') {
      throw new Error(`OpenID discovery document lacks ${field}`);
    }
  }
  return document as Discovery;
}

async function verifyIdToken(
  idToken: unknown,
  jwks: ReturnType<typeof createRemoteJWKSet>,
  settings: OidcSettings,
  flow: ExchangeFlow | undefined,
): Promise<JWTPayload> {
  if (typeof idToken !== 'string' || !flow) {
    throw new AppError('INVALID_ID_TOKEN', 'The identity provider sent no ID token.');
  }
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(idToken, jwks, {
      issuer: settings.issuer,
      audience: settings.clientId,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_TOKEN_AGE,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
      throw new AppError(
        'INVALID_ID_TOKEN',
        `The identity provider's ID token was refused: ${error.message}`,
      );
    }
    throw error;
  }
  const refuse = (why: string) => new AppError('INVALID_ID_TOKEN', `The ID token ${why}.`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== settings.clientId) {
    throw refuse('was issued to another client (azp)');
  }
  const now = Date.now() / 1000;
  if (claims.iat! > now + CLOCK_TOLERANCE_SECONDS) throw refuse('was issued in the future (iat)');
  if (claims.nonce !== flow.nonce) throw refuse('does not answer this sign-in (nonce)');
  if (flow.reauthenticate) {
    const authTime = claims.auth_time;
    const started = flow.startedAt.getTime() / 1000 - CLOCK_TOLERANCE_SECONDS;
    if (typeof authTime !== 'number' || authTime < started) {
      throw refuse('does not show a fresh sign-in at the identity provider (auth_time)');
    }
  }
  return claims;
}

export function oidcIdentity(key: string, claims: JWTPayload): ProviderIdentity {
  return {
    provider: key,
    subject: claims.sub!,
    verifiedEmail: claims.email_verified === true ? trimmed(claims.email) : undefined,
    name: trimmed(claims.name),
    handle: trimmed(claims.preferred_username),
  };
}
