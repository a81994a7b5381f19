import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../../platform/config/app-config';

/** How the OpenAPI document shows a response that sets or clears the session cookie. */
export const SESSION_COOKIE_HEADER = {
  'Set-Cookie': {
    description:
      'The session cookie (HttpOnly, SameSite=Lax, Path=/; Secure and `__Host-` under https), set or cleared.',
    schema: { type: 'string' },
  },
};

/**
 * The session cookie: HTTP-only, SameSite=Lax, Path=/, and Secure when PUBLIC_URL is https. It is
 * named `__Host-<SESSION_COOKIE_NAME>` when the service owns its whole HTTPS origin.
 */
@Injectable()
export class SessionCookie {
  constructor(private readonly config: AppConfig) {}

  /** The cookie's name as browsers store it, prefix included. */
  get name(): string {
    return `${this.config.hostOnlyCookiePrefix}${this.config.SESSION_COOKIE_NAME}`;
  }

  read(request: Request): string | undefined {
    const cookies = request.cookies as Record<string, unknown> | undefined;
    const value = cookies?.[this.name];
    return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
  }

  write(response: Response, token: string, maxAgeMs: number): void {
    response.cookie(this.name, token, { ...this.attributes(), maxAge: maxAgeMs });
  }

  clear(response: Response): void {
    response.clearCookie(this.name, this.attributes());
  }

  private attributes() {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.config.secureCookies,
      path: '/',
    };
  }
}
