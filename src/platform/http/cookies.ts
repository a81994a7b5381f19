import cookieParser from 'cookie-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppConfig } from '../config/app-config';
import { AppError } from './app-error';

/** Names res.clearCookie can write (RFC 6265 tokens); any other would make it throw. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Paths a Set-Cookie can carry (as the cookie library checks them): printable ASCII but `;`. */
const COOKIE_PATH = /^[\u0020-\u003A\u003D-\u007E]+$/;

/** How many levels of the request path a malformed cookie is cleared at (besides `/`). */
const MAX_CLEARED_PATH_LEVELS = 4;

/**
 * Cookies as `request.cookies`, strings only. cookie-parser turns `j:`-prefixed values into JSON
 * (objects, numbers …), which nothing here expects: such a request is refused with 400 and those
 * cookies cleared, so the browser recovers on its next request. One middleware function: every
 * request passes through it.
 */
export function cookies(config: AppConfig): RequestHandler {
  const basePath = config.basePath;
  const parse = cookieParser();
  const refuseNonStringCookies = (request: Request, response: Response, next: NextFunction) => {
    const parsed = request.cookies as Record<string, unknown>;
    const malformed = Object.keys(parsed).filter((key) => typeof parsed[key] !== 'string');
    if (malformed.length === 0) return next();
    for (const name of malformed) {
      clearEverywhere(request, response, name, basePath, config.secureCookies);
    }
    const [name] = malformed;
    next(
      new AppError(
        'VALIDATION_FAILED',
        `The cookie "${name}" is malformed and has been cleared. Please try again.`,
        `cookies.${name}`,
      ),
    );
  };
  return (request, response, next) =>
    parse(request, response, (error?: unknown) => {
      if (error !== undefined) return next(error);
      // Without a Cookie header there is nothing to check.
      if (request.headers.cookie === undefined) return next();
      refuseNonStringCookies(request, response, next);
    });
}

/**
 * Clears a cookie at every path it can have been sent for: the browser sends a cookie whose Path
 * is `/` or any ancestor of the path it requests.
 */
function clearEverywhere(
  request: Request,
  response: Response,
  name: string,
  basePath: string,
  secure: boolean,
): void {
  if (!COOKIE_NAME.test(name)) return;
  // Browsers only accept (and so only clear) prefixed cookies with Secure.
  const options = { secure: secure || /^__(Host|Secure)-/.test(name), httpOnly: true };
  const paths = ancestorPaths(`${basePath}${request.path}`).filter((path) =>
    COOKIE_PATH.test(path),
  );
  for (const path of paths) {
    response.clearCookie(name, { ...options, path });
  }
}

/** `/auth/google/callback` → `/`, `/auth`, `/auth/google`, `/auth/google/callback`. */
function ancestorPaths(path: string): string[] {
  const segments = path.split('/').filter(Boolean).slice(0, MAX_CLEARED_PATH_LEVELS);
  return ['/', ...segments.map((_segment, index) => `/${segments.slice(0, index + 1).join('/')}`)];
}
