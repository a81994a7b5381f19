import type { Request, Response } from 'express';

/** The route label of a request that matched no route: never its path, which may hold ids and tokens. */
export const UNMATCHED_ROUTE = 'unmatched';

const ROUTE_LOCAL = 'metricsRoute';

/**
 * Names the route of a request that middleware answers (the OpenID Connect provider, the assets),
 * which express does not see as a route: a fixed pattern, never the path itself.
 */
export function nameRoute(response: Response, pattern: string): void {
  response.locals[ROUTE_LOCAL] = pattern;
}

/** The pattern a request matched (`/me/sessions/:id`), as express's router or `nameRoute` gave it. */
export function routeLabel(request: Request, response: Response): string {
  const named: unknown = response.locals[ROUTE_LOCAL];
  if (typeof named === 'string') return named;
  // Nest registers each handler on the app's router with its full path (controller prefix
  // included). Nest middleware bound to every route would be an express route too, on
  // `/{*path}`, which a request that reached no handler still carries. No handler of ours has a
  // wildcard, so a wildcard means none matched.
  const path = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string' || path.includes('*')) return UNMATCHED_ROUTE;
  return `${request.baseUrl}${path}`;
}
