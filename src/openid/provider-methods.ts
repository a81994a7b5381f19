import type { Request, Response } from 'express';

/** The methods oidc-provider takes on one of its endpoints, and whether it answers CORS there. */
export interface EndpointMethods {
  /** HEAD goes wherever GET does, as the provider's router has it. */
  takes: readonly ('GET' | 'POST')[];
  /** The provider answers CORS preflights here itself (for apps calling from a browser). */
  preflight: boolean;
}

/**
 * What oidc-provider's router takes on each endpoint with this service's configuration, by route
 * name (node_modules/oidc-provider/lib/helpers/initialize_app.js). The authorization endpoint's
 * POST is answered before the provider (authorization-by-post.ts: a 303 to the GET); `resume` is
 * `/oauth2/authorize/:uid`, where a sign-in returns to.
 */
export const PROVIDER_METHODS = {
  authorization: { takes: ['GET', 'POST'], preflight: false },
  resume: { takes: ['GET'], preflight: false },
  token: { takes: ['POST'], preflight: true },
  userinfo: { takes: ['GET', 'POST'], preflight: true },
  introspection: { takes: ['POST'], preflight: true },
  revocation: { takes: ['POST'], preflight: true },
  pushed_authorization_request: { takes: ['POST'], preflight: true },
  device_authorization: { takes: ['POST'], preflight: true },
  jwks: { takes: ['GET'], preflight: true },
  discovery: { takes: ['GET'], preflight: true },
} as const satisfies Record<string, EndpointMethods>;

/** The order `Allow` lists methods in, as for the service's own routes. */
const ORDER = ['GET', 'HEAD', 'POST', 'OPTIONS'];

/**
 * Answers a method the endpoint does not take, as the service's own routes do (see
 * http/method-not-allowed.ts): 405 with `Allow`, and OPTIONS 204 with `Allow`; the provider
 * itself would answer 404. CORS preflights go on to the provider where it answers them (with
 * `Allow` too). True when answered here; false when the provider is to answer.
 *
 * The 405's body is OAuth's error (`invalid_request`, RFC 6749 §5.2), not the service's
 * `{error:{code}}`: an app reads every other answer of these endpoints as `{error,
 * error_description}`, and its OAuth library expects `error` to be a string.
 */
export function answeredWithoutProvider(
  request: Request,
  response: Response,
  endpoint: EndpointMethods,
): boolean {
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if ((endpoint.takes as readonly string[]).includes(method)) return false;
  const takes = [...endpoint.takes, ...(endpoint.takes.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
  const allow = takes.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).join(', ');
  response.setHeader('Allow', allow);
  if (request.method === 'OPTIONS') {
    // The provider answers a preflight only when it names the method asked for (its cors.js).
    if (endpoint.preflight && request.get('Access-Control-Request-Method')) return false;
    response.status(204).end();
    return true;
  }
  response.status(405).json({
    error: 'invalid_request',
    error_description: `${request.method} is not allowed here; this endpoint takes ${allow}.`,
  });
  return true;
}
