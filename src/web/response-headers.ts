import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { AppConfig } from '../config/app-config';
import { appFormTargets, providerFormTargets } from './form-targets';

type CspDirectives = Record<string, string[] | null>;

/** Swagger UI's HTML, scripts and styles (SwaggerModule.setup('docs', …)); /docs-json is not one. */
function isSwaggerUi(request: Request): boolean {
  return request.path === '/docs' || request.path.startsWith('/docs/');
}

/** The stylesheet and the Swagger UI files: the same for everyone, so caches may keep them. */
function isStaticFile(request: Request): boolean {
  return request.path.startsWith('/assets/') || isSwaggerUi(request);
}

/**
 * `Cache-Control: no-store` on every response but static files: pages and API answers hold
 * personal data, and a shared or back-button cache must not keep them.
 */
export const noStore: RequestHandler = (request, response, next) => {
  if (!isStaticFile(request)) response.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * helmet's headers. The pages have no JavaScript and take nothing from other origins, so their
 * policy allows no script at all; Swagger UI under /docs gets its own, with its scripts and styles.
 */
export function securityHeaders(config: AppConfig): RequestHandler {
  const upgradeInsecureRequests = config.publicUrl.startsWith('https:') ? [] : null;
  const pages = withPolicy({
    scriptSrc: ["'none'"],
    // helmet's defaults add https: to these two; the pages need only their own stylesheet.
    styleSrc: ["'self'"],
    fontSrc: ["'self'"],
    // Forms may lead (through redirects) to the providers' sign-in pages, and to the apps that
    // sign their users in here, and nowhere else.
    formAction: ["'self'", ...providerFormTargets(config), ...appFormTargets(config)],
    upgradeInsecureRequests,
  });
  const swaggerUi = withPolicy({
    scriptSrc: ["'self'"],
    // Swagger UI sets inline styles from its scripts, and shows images as data: URLs.
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    upgradeInsecureRequests,
  });
  return (request, response, next) =>
    (isSwaggerUi(request) ? swaggerUi : pages)(request, response, next);
}

function withPolicy(directives: CspDirectives): RequestHandler {
  return helmet({
    // Not helmet's no-referrer: under it browsers send "Origin: null" with our own form posts,
    // which the cross-site guard must refuse. same-origin still tells other sites nothing.
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: { directives },
  });
}
