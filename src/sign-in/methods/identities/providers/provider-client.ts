import type { ProviderIdentity } from './provider-identity';

/** What the service decides before the browser is sent to a provider. */
export interface AuthorizationFlow {
  /** The OAuth `state`: random, unique to this flow. */
  state: string;
  /** For OpenID Connect: the nonce the ID token must carry. */
  nonce: string;
  /** Ask the provider to make the person prove themselves again (a re-authentication). */
  reauthenticate: boolean;
}

export interface AuthorizationStart {
  /** The provider's authorization URL to redirect the browser to. */
  url: string;
  /** The PKCE verifier to send with the code, when the provider was sent a challenge. */
  codeVerifier?: string;
}

/** What the callback needs back from the flow the browser started. */
export interface ExchangeFlow {
  codeVerifier?: string;
  nonce: string;
  reauthenticate: boolean;
  /** When the flow started: a re-authentication must be newer than this. */
  startedAt: Date;
}

/**
 * One sign-in provider, as the services see it: where to send the browser, and what a returned
 * authorization code says about the person. The protocol library stays behind this interface.
 * Failures are AppErrors with codes the person can act on (PROVIDER_UNAVAILABLE, CODE_REJECTED…).
 */
export interface ProviderClient {
  authorizationUrl(flow: AuthorizationFlow): Promise<AuthorizationStart>;
  exchange(code: string, flow: ExchangeFlow): Promise<ProviderIdentity>;
}
