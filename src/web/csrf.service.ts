import { Injectable, Logger } from '@nestjs/common';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { SessionCookie } from '../sign-in/sessions/session-cookie';
import { AppError } from '../platform/http/app-error';
import { AppConfig } from '../platform/config/app-config';

/**
 * CSRF tokens for the HTML forms (signed double-submit cookie, csrf-csrf), bound to the session
 * cookie when there is one. This is on top of the cross-site request guard and SameSite cookies.
 */
@Injectable()
export class CsrfService {
  private readonly csrf: ReturnType<typeof doubleCsrf>;

  constructor(config: AppConfig, sessionCookie: SessionCookie) {
    if (!config.CSRF_SECRET) {
      new Logger('Csrf').warn('CSRF_SECRET is not set: forms are signed with a development secret');
    }
    // The same on every instance: a form rendered by one is posted to whichever the proxy picks.
    const secret = config.csrfSecret;
    this.csrf = doubleCsrf({
      getSecret: () => secret,
      // The session cookie exactly as the session guard reads it (its name may carry __Host-).
      getSessionIdentifier: (request) => sessionCookie.read(request) ?? '',
      // __Host- pins the cookie to this host over HTTPS, so a sibling domain cannot plant one.
      cookieName: `${config.hostOnlyCookiePrefix}csrf`,
      cookieOptions: { sameSite: 'lax', secure: config.secureCookies, httpOnly: true, path: '/' },
      getCsrfTokenFromRequest: (request) => {
        const body = request.body as Record<string, unknown> | undefined;
        return typeof body?._csrf === 'string' ? body._csrf : undefined;
      },
    });
  }

  /** A token for the forms of the page being rendered. */
  token(request: Request, response: Response): string {
    return this.csrf.generateCsrfToken(request, response, {
      overwrite: false,
      validateOnReuse: false,
    });
  }

  assertValid(request: Request): void {
    if (!this.csrf.validateRequest(request)) {
      throw new AppError(
        'CSRF_TOKEN_INVALID',
        'This form has expired or did not come from this site. Please reload the page and try again.',
      );
    }
  }
}
