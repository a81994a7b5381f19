import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import type { OidcResource } from './oidc-resources';

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

/** An API a device's request names (`resource=`), with the scopes of it the request may get. */
export interface RequestedApi {
  indicator: string;
  scopes: string[];
}

/**
 * The APIs of OIDC_RESOURCES a device's request names, each with the scopes it asked for that the
 * API has and the app may ask for (its `scope` in OIDC_CLIENTS): what approving it grants, as
 * grantResourceScopesAsked does for the code flow. The device authorization endpoint already
 * refused an undeclared API and a scope beyond the app's (api-access.ts); an API none of whose
 * scopes were asked for is left out, as the code flow grants it nothing.
 */
export function apisAsked(
  { resource, scope }: { resource?: unknown; scope?: unknown },
  appScope: string,
  resources: OidcResource[],
): RequestedApi[] {
  const named = (Array.isArray(resource) ? resource : [resource]).filter(
    (value): value is string => typeof value === 'string',
  );
  const asked = new Set(typeof scope === 'string' ? scope.split(' ') : []);
  const allowed = new Set(appScope.split(' '));
  return [...new Set(named)].flatMap((indicator) => {
    const api = resources.find((declared) => declared.indicator === indicator);
    const scopes = (api?.scopes ?? []).filter((value) => asked.has(value) && allowed.has(value));
    return scopes.length > 0 ? [{ indicator, scopes }] : [];
  });
}
