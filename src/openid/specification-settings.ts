import type { Configuration } from 'oidc-provider';

/**
 * Where oidc-provider's defaults are looser than OpenID Connect Core: its settings held to the
 * specification.
 */
export function specificationSettings(): Partial<Configuration> {
  return {
    // redirect_uri is REQUIRED in an authorization request (Core 3.1.2.1), even from an app that
    // registered only one: left out, the request is refused (oidcc-ensure-redirect-uri-in-
    // authorization-request) instead of answered at the registered address.
    allowOmittingSingleRegisteredRedirectUri: false,
  };
}
