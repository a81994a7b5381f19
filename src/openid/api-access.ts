import { hkdfSync } from 'node:crypto';
import {
  type Configuration,
  errors,
  type KoaContextWithOIDC,
  type ResourceServer,
} from 'oidc-provider';
import type { OidcClientSettings } from './oidc-clients';
import type { OidcResource } from './oidc-resources';
import type { OpenIdConfig } from './openid-config';

type Features = NonNullable<Configuration['features']>;

/**
 * How apps and backends authenticate at the token, introspection, revocation and PAR endpoints:
 * exactly what OIDC_CLIENTS can register (oidc-clients.ts, api-clients.ts), which discovery
 * advertises.
 */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
] as const;

/**
 * The provider's features for APIs: JWT access tokens (RFC 9068) for the APIs of OIDC_RESOURCES
 * (RFC 8707 resource indicators), client credentials for backends, and DPoP (RFC 9449) with
 * nonces, which every instance derives from OIDC_KEY_SECRET and so accepts from one another.
 */
export function apiFeatures({
  oidcResources,
  oidcClients,
  oidcKeySecret,
}: OpenIdConfig): Pick<Features, 'resourceIndicators' | 'clientCredentials' | 'dPoP'> {
  const byIndicator = new Map(oidcResources.map((resource) => [resource.indicator, resource]));
  const scopesOf = new Map(
    oidcClients.map(({ client_id, scope }) => [client_id, new Set(scope.split(' '))]),
  );
  return {
    resourceIndicators: {
      enabled: true,
      // One resource asked for at the authorization endpoint is the one a token is for. A backend
      // names its API: a token for none would carry no scope.
      defaultResource: (ctx, _client, oneOf) => {
        if (!oneOf && ctx.oidc.params?.grant_type === 'client_credentials') {
          throw new errors.InvalidTarget('resource is required: the indicator of a declared API');
        }
        return oneOf;
      },
      getResourceServerInfo: (ctx, indicator, client) =>
        resourceServer(ctx, byIndicator.get(indicator), scopesOf.get(client.clientId) ?? new Set()),
    },
    clientCredentials: { enabled: true },
    dPoP: {
      enabled: true,
      nonceSecret: Buffer.from(hkdfSync('sha256', oidcKeySecret, '', 'dpop-nonces', 32)),
      requireNonce: () => true,
    },
  };
}

/**
 * An API as the provider issues tokens for it: a JWT signed with the provider's key, whose `aud`
 * is the indicator, carrying the API's scopes that the app may ask for (its `scope` metadata).
 * An undeclared API, or one whose scopes the app may not ask for, is `invalid_target`; a requested
 * scope the app's `scope` does not list is `invalid_scope` (the library alone would drop it).
 */
function resourceServer(
  ctx: KoaContextWithOIDC,
  resource: OidcResource | undefined,
  allowed: Set<string>,
): ResourceServer {
  if (!resource) throw new errors.InvalidTarget('resource indicator is not a declared API');
  const requested = ctx.oidc.params?.scope;
  const asked = typeof requested === 'string' ? requested.split(' ') : [];
  const beyond = asked.find((scope) => scope !== '' && !allowed.has(scope));
  if (beyond) throw new errors.InvalidScope('requested scope is not allowed', beyond);
  const scopes = resource.scopes.filter((scope) => allowed.has(scope));
  if (scopes.length === 0) {
    throw new errors.InvalidTarget('this client may not ask for any scope of this resource');
  }
  return {
    scope: scopes.join(' '),
    audience: resource.indicator,
    accessTokenTTL: resource.accessTokenTtlSeconds,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
}

/**
 * A client as the provider knows it: its `scope` without the APIs' scopes, which the provider
 * only takes among its own (OpenID Connect) ones. resourceServer() allows those from the client's
 * whole `scope`, so an opaque (userinfo) token never carries an API's scope.
 */
export function withoutApiScopes(
  client: OidcClientSettings,
  resources: OidcResource[],
): Omit<OidcClientSettings, 'scope'> & { scope?: string } {
  const apiScopes = new Set(resources.flatMap(({ scopes }) => scopes));
  const scope = client.scope
    .split(' ')
    .filter((value) => !apiScopes.has(value))
    .join(' ');
  const provided: Omit<OidcClientSettings, 'scope'> & { scope?: string } = { ...client, scope };
  if (!scope) delete provided.scope;
  return provided;
}

/**
 * How long an access token lives: an API's accessTokenTtlSeconds, else `seconds` (the userinfo
 * tokens'). Used for both the AccessToken and the ClientCredentials ttl.
 */
export function accessTokenTtl(seconds: number) {
  return (_ctx: KoaContextWithOIDC, token: { resourceServer?: ResourceServer }) =>
    token.resourceServer?.accessTokenTTL ?? seconds;
}
