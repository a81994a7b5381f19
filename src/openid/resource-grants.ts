import type { Grant, KoaContextWithOIDC } from 'oidc-provider';

/**
 * Adds to a first-party app's grant the scopes of the APIs (`resource=`) its request asked for,
 * as grantEverythingAsked does its OpenID Connect scopes: the provider found (and limited) them
 * for each API in api-access.ts.
 */
export function grantResourceScopesAsked(grant: Grant, { oidc }: KoaContextWithOIDC): void {
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const scopes = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope));
    if (scopes.length > 0) grant.addResourceScope(indicator, scopes);
  }
}

/** Adds what an interaction found missing for the APIs asked for (its `missingResourceScopes`). */
export function grantMissingResourceScopes(grant: Grant, details: object): void {
  const missing = (details as { missingResourceScopes?: Record<string, string[]> })
    .missingResourceScopes;
  for (const [indicator, scopes] of Object.entries(missing ?? {})) {
    grant.addResourceScope(indicator, scopes);
  }
}
