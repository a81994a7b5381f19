import { createPublicKey, type JsonWebKey } from 'node:crypto';

/** The client metadata of apps and backends that call APIs: their keys, and DPoP. */
export interface ApiClientSettings {
  /** The public keys a private_key_jwt client signs its assertions with (RFC 7591). */
  jwks?: { keys: JsonWebKey[] };
  /** Every access token this client gets is DPoP-bound: a request without a proof is refused. */
  dpop_bound_access_tokens?: boolean;
}

/** The members of a JWK that hold a private or secret key (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The fields of OIDC_CLIENTS' entries for APIs: `jwks` (public keys only, and only for
 * private_key_jwt, which needs them), `dpop_bound_access_tokens`, and that a client asking for
 * client_credentials authenticates.
 */
export function readApiClientFields(
  raw: Record<string, unknown>,
  method: unknown,
  grants: unknown,
  problem: (field: string, message: string) => void,
): ApiClientSettings {
  const { jwks, dpop_bound_access_tokens: dpop } = raw;
  if (method === 'private_key_jwt' && jwks === undefined) {
    problem('jwks', 'is required for token_endpoint_auth_method "private_key_jwt"');
  }
  if (jwks !== undefined && method !== 'private_key_jwt') {
    problem('jwks', 'is only for token_endpoint_auth_method "private_key_jwt"');
  }
  if (jwks !== undefined) checkPublicKeys(jwks, problem);
  if (dpop !== undefined && typeof dpop !== 'boolean') {
    problem('dpop_bound_access_tokens', 'must be true or false');
  }
  if (Array.isArray(grants) && grants.includes('client_credentials') && method === 'none') {
    problem(
      'grant_types',
      'client_credentials is for a client that authenticates (a client_secret, or jwks)',
    );
  }
  return {
    ...(jwks !== undefined && { jwks: jwks as ApiClientSettings['jwks'] }),
    ...(dpop !== undefined && { dpop_bound_access_tokens: dpop as boolean }),
  };
}

/** A JWK Set of public keys: a private key in the metadata would be a secret in the config. */
function checkPublicKeys(jwks: unknown, problem: (field: string, message: string) => void): void {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (typeof jwks !== 'object' || Array.isArray(jwks) || !Array.isArray(keys) || !keys.length) {
    problem('jwks', 'must be a JWK Set: {"keys": [ public keys ]}');
    return;
  }
  keys.forEach((key: unknown, index) => {
    const field = `jwks.keys[${index}]`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      problem(field, 'must be a JWK (an object)');
      return;
    }
    const members = PRIVATE_MEMBERS.filter((member) => member in key);
    if (members.length > 0) {
      problem(
        field,
        `holds a private key (${members.join(', ')}): register the public key only, and keep the private one with the app`,
      );
      return;
    }
    try {
      createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    } catch {
      problem(field, 'is not a public key this provider can read (RSA, EC or OKP)');
    }
  });
}
