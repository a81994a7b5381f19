import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { AppConfig } from '../platform/config/app-config';
import type { ProvidersConfig } from '../sign-in/methods/identities/providers/providers-config';
import type { OpenIdConfig } from '../openid/openid-config';
import { appFormTargets, providerFormTargets } from './form-targets';
import { SCRIPTED_PAGE_PATHS } from './views';

/** Fixed strings only: see helmetHeaders. */
type CspDirectives = Record<string, string[] | null>;

/** Swagger UI's HTML, scripts and styles (SwaggerModule.setup('docs', …)); /docs-json is not one. */
function isSwaggerUi(path: string): boolean {
  return path === '/docs' || path.startsWith('/docs/');
}

/** The stylesheet and the Swagger UI files: the same for everyone, so caches may keep them. */
function isStaticFile(path: string): boolean {
  return path.startsWith('/assets/') || isSwaggerUi(path);
}

/** The sign-in, registration and settings pages, which run the passkey script. */
function isScriptedPage(path: string): boolean {
  return SCRIPTED_PAGE_PATHS.some((page) => path === page || path.startsWith(`${page}/`));
}

/** Headers to set, in order, and headers to remove. */
interface HeaderSet {
  set: ReadonlyArray<readonly [string, string]>;
  remove: readonly string[];
}

/**
 * Every response's headers: helmet's, and `Cache-Control: no-store` on every response but static
 * files (pages and API answers hold personal data, and a shared or back-button cache must not keep
 * them). The pages take nothing from other origins. The sign-in, registration and settings pages
 * run one script, the service's own passkey file, so their policy allows the service's files and
 * nothing else (no inline script, no eval); every other answer allows no script at all. Swagger UI
 * under /docs gets its own, with its scripts and styles.
 *
 * helmet's headers depend on its options only, not on the request: they are worked out once, and
 * each response gets them in one loop rather than through helmet's dozen middleware functions.
 */
export function responseHeaders(
  config: AppConfig,
  providers: ProvidersConfig,
  openid: OpenIdConfig,
): RequestHandler {
  const upgradeInsecureRequests = config.publicUrl.startsWith('https:') ? [] : null;
  const pageDirectives: CspDirectives = {
    scriptSrc: ["'none'"],
    // helmet's defaults add https: to these two; the pages need only their own stylesheet.
    styleSrc: ["'self'"],
    fontSrc: ["'self'"],
    // Forms may lead (through redirects) to the providers' sign-in pages, and to the apps that
    // sign their users in here, and nowhere else.
    formAction: ["'self'", ...providerFormTargets(providers), ...appFormTargets(openid)],
    upgradeInsecureRequests,
  };
  const pages = helmetHeaders(pageDirectives);
  // The passkey script fetches from this origin only: default-src 'self' covers connect-src.
  const scriptedPages = helmetHeaders({ ...pageDirectives, scriptSrc: ["'self'"] });
  const swaggerUi = helmetHeaders({
    scriptSrc: ["'self'"],
    // Swagger UI sets inline styles from its scripts, and shows images as data: URLs.
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    upgradeInsecureRequests,
  });
  const personal = withHeader(pages, 'Cache-Control', 'no-store');
  const personalScripted = withHeader(scriptedPages, 'Cache-Control', 'no-store');
  return (request, response, next) => {
    const path = request.path;
    const headers = isSwaggerUi(path)
      ? swaggerUi
      : isStaticFile(path)
        ? pages
        : isScriptedPage(path)
          ? personalScripted
          : personal;
    for (const [name, value] of headers.set) response.setHeader(name, value);
    for (const name of headers.remove) response.removeHeader(name);
    next();
  };
}

function withHeader(headers: HeaderSet, name: string, value: string): HeaderSet {
  return { ...headers, set: [...headers.set, [name, value]] };
}

/**
 * What helmet does to a response with these CSP directives, recorded once. Every directive here is
 * a fixed string (a function, such as a per-request nonce, would need the request: refused).
 */
function helmetHeaders(directives: CspDirectives): HeaderSet {
  const set: Array<[string, string]> = [];
  const remove: string[] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => set.push([name, String(value)]),
    removeHeader: (name: string) => remove.push(name),
  };
  let done = false;
  let failure: unknown;
  withPolicy(directives)({} as Request, recorder as unknown as Response, (error?: unknown) => {
    done = true;
    failure = error;
  });
  if (!done || failure !== undefined) {
    throw new Error('helmet did not set its headers at once', { cause: failure });
  }
  return { set, remove };
}

function withPolicy(directives: CspDirectives): RequestHandler {
  return helmet({
    // Not helmet's no-referrer: under it browsers send "Origin: null" with our own form posts,
    // which the cross-site guard must refuse. same-origin still tells other sites nothing.
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: { directives },
  });
}
