import type { Request } from 'express';
import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import { Strategy } from 'passport-openidconnect';
import { AppError } from '../../common/app-error';
import { OidcProviderSettings } from '../../config/provider-settings';
import type { FlowRequest, SignInFlows } from '../social/sign-in-flows.service';
import {
  ProviderDefinition,
  ProviderIdentity,
  StrategyContext,
  trimmed,
} from './provider-definition';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint?: string;
  jwks_uri: string;
}

/** Clock skew tolerated on exp, iat and nbf, and the oldest ID token accepted. */
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_TOKEN_AGE = '10m';

/**
 * Any OpenID Connect issuer, through passport-openidconnect. That library checks claims on an
 * unverified token and has no PKCE, so this provider adds both: the ID token's signature is verified
 * against the issuer's JWKS with iss, aud, azp, exp, iat and nonce, and a PKCE challenge is sent.
 */
export function oidcProvider(
  settings: OidcProviderSettings,
  flows: SignInFlows,
): ProviderDefinition {
  return {
    key: settings.key,
    name: settings.name,
    createStrategy: async (context) => {
      const discovery = await discover(settings.issuer, context.timeoutMs);
      const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), {
        timeoutDuration: context.timeoutMs,
      });
      return createStrategy(settings, discovery, context, flows, async (idToken, flow) =>
        verifyIdToken(idToken, jwks, settings, flow.nonce),
      );
    },
  };
}

async function discover(issuer: string, timeoutMs: number): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok) throw new Error(`OpenID discovery at ${url} answered ${response.status}`);
  const document = (await response.json()) as Partial<Discovery>;
  // OpenID Connect Discovery 1.0 §4.3: the document must name exactly the issuer it was fetched for.
  if (document.issuer !== issuer) {
    throw new AppError(
      'INVALID_ID_TOKEN',
      `The identity provider announces issuer "${String(document.issuer)}", not the configured one.`,
    );
  }
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (typeof document[field] !== 'string')
      throw new Error(`OpenID discovery at ${url} lacks ${field}`);
  }
  return document as Discovery;
}

type VerifyIdToken = (idToken: string, flow: { nonce?: string }) => Promise<JWTPayload>;

function createStrategy(
  settings: OidcProviderSettings,
  discovery: Discovery,
  { callbackURL, oidcStore }: StrategyContext,
  flows: SignInFlows,
  verify: VerifyIdToken,
) {
  // Six parameters on purpose: passport-openidconnect picks what to pass by the function's arity.
  const verifyCallback = (
    req: Request,
    _issuer: string,
    _profile: unknown,
    _context: unknown,
    idToken: string,
    done: (error: unknown, identity?: ProviderIdentity) => void,
  ) => {
    const flow = (req as FlowRequest).signInFlow ?? {};
    verify(idToken, flow).then(
      (claims) => done(null, oidcIdentity(settings.key, claims)),
      (error: unknown) => done(error),
    );
  };
  const strategy = new Strategy(
    {
      issuer: settings.issuer,
      authorizationURL: discovery.authorization_endpoint,
      tokenURL: discovery.token_endpoint,
      userInfoURL: discovery.userinfo_endpoint ?? '',
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL,
      scope: ['email', 'profile'],
      nonce: true,
      store: oidcStore,
      passReqToCallback: true,
      skipUserProfile: true,
    } as never,
    verifyCallback as never,
  );
  addPkce(strategy, flows);
  return strategy;
}

/**
 * PKCE for passport-openidconnect: the challenge goes into the authorization request, and the verifier,
 * which the flow store provides for the duration of the callback, into the token request.
 */
function addPkce(strategy: Strategy, flows: SignInFlows): void {
  const internals = strategy as unknown as {
    authorizationParams(options: { codeChallenge?: string }): Record<string, string>;
    _oauth2: {
      getOAuthAccessToken(code: string, params: Record<string, string>, cb: unknown): void;
    };
  };
  internals.authorizationParams = (options): Record<string, string> =>
    options.codeChallenge
      ? { code_challenge: options.codeChallenge, code_challenge_method: 'S256' }
      : {};
  const oauth2 = internals._oauth2;
  const getToken = oauth2.getOAuthAccessToken.bind(oauth2);
  oauth2.getOAuthAccessToken = (code, params, cb) => {
    const verifier = flows.pkceVerifier.getStore();
    getToken(code, verifier ? { ...params, code_verifier: verifier } : params, cb);
  };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

async function verifyIdToken(
  idToken: string,
  jwks: ReturnType<typeof createRemoteJWKSet>,
  settings: OidcProviderSettings,
  expectedNonce: string | undefined,
): Promise<JWTPayload> {
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
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const azp = claims.azp;
  if ((audiences.length > 1 || azp !== undefined) && azp !== settings.clientId) {
    throw new AppError('INVALID_ID_TOKEN', 'The ID token was issued to another client (azp).');
  }
  if (claims.iat! > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw new AppError('INVALID_ID_TOKEN', 'The ID token was issued in the future (iat).');
  }
  if (!expectedNonce || claims.nonce !== expectedNonce) {
    throw new AppError('INVALID_ID_TOKEN', 'The ID token does not answer this sign-in (nonce).');
  }
  return claims;
}

export function oidcIdentity(key: string, claims: JWTPayload): ProviderIdentity {
  const email = trimmed(claims.email);
  return {
    provider: key,
    subject: claims.sub!,
    verifiedEmail: claims.email_verified === true ? email : undefined,
    name: trimmed(claims.name),
    handle: trimmed(claims.preferred_username),
  };
}
