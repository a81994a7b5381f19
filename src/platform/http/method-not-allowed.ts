import type { INestApplication } from '@nestjs/common';
import type { RequestHandler } from 'express';
import { METHODS } from 'node:http';
import { AppError } from './app-error';

/** What express's router keeps of a route (router 2.x): its path, its methods, its matcher. */
interface RouteLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
  match(path: string): boolean;
}

/** The order `Allow` lists methods in. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const byOrder = (a: string, b: string) => ORDER.indexOf(a) - ORDER.indexOf(b);

/** Express matches paths case-insensitively, with or without a trailing slash. */
function normalised(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** The methods each route path takes, read once from the router after the routes are in place. */
class RouteTable {
  /** Paths without parameters, by their normalised form: they win over parameterised ones. */
  private readonly exact = new Map<string, Set<string>>();
  private readonly parameterised: { layer: RouteLayer; methods: string[] }[] = [];

  constructor(layers: RouteLayer[]) {
    for (const layer of layers) {
      const route = layer.route;
      if (!route || typeof route.path !== 'string') continue;
      const methods = Object.keys(route.methods)
        .filter((method) => method !== '_all')
        .map((method) => method.toUpperCase());
      // Nest's module middleware is mounted as a route for every method: no resource of its own.
      if (route.methods._all || METHODS.every((method) => methods.includes(method))) continue;
      if (/[:*{]/.test(route.path)) {
        this.parameterised.push({ layer, methods });
      } else {
        const key = normalised(route.path);
        this.exact.set(key, new Set([...(this.exact.get(key) ?? []), ...methods]));
      }
    }
  }

  /** The methods `path` takes, or undefined when no route has that path. */
  methodsOf(path: string): Set<string> | undefined {
    const exact = this.exact.get(normalised(path));
    if (exact) return exact;
    const matching = this.parameterised.filter(({ layer }) => layer.match(path));
    return matching.length > 0 ? new Set(matching.flatMap(({ methods }) => methods)) : undefined;
  }
}

/**
 * A method a path does not take is answered 405 METHOD_NOT_ALLOWED with `Allow` (RFC 9110), not
 * 404; OPTIONS is answered 204 with `Allow`, and HEAD goes wherever GET does (express's own
 * behaviour). A path with a fixed route takes only that route's methods, as in the OpenAPI
 * document: GET /auth/login is not GET /auth/{provider} for a provider named "login". Paths no
 * route has (the provider's own endpoints, static files, unknown ones) pass on untouched.
 */
export function methodNotAllowed(app: INestApplication): RequestHandler {
  let table: RouteTable | undefined;
  return (request, response, next) => {
    // Built on the first request, once Nest has registered every route.
    table ??= new RouteTable(
      (app.getHttpAdapter().getInstance() as { router: { stack: RouteLayer[] } }).router.stack,
    );
    const methods = table.methodsOf(request.path);
    if (!methods) return next();
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (methods.has(method)) return next();
    const allowed = [...methods, ...(methods.has('GET') ? ['HEAD'] : []), 'OPTIONS'].sort(byOrder);
    response.setHeader('Allow', allowed.join(', '));
    if (request.method === 'OPTIONS') {
      response.status(204).end();
      return;
    }
    next(
      new AppError(
        'METHOD_NOT_ALLOWED',
        `${request.method} is not allowed here; this path takes ${allowed.join(', ')}.`,
      ),
    );
  };
}
