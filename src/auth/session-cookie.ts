import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../config/app-config';

/** The session cookie: HTTP-only, SameSite=Lax, Secure in production. */
@Injectable()
export class SessionCookie {
  constructor(private readonly config: AppConfig) {}

  read(request: Request): string | undefined {
    const cookies = request.cookies as Record<string, unknown> | undefined;
    const value = cookies?.[this.config.SESSION_COOKIE_NAME];
    return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
  }

  write(response: Response, token: string, maxAgeMs: number): void {
    response.cookie(this.config.SESSION_COOKIE_NAME, token, {
      ...this.attributes(),
      maxAge: maxAgeMs,
    });
  }

  clear(response: Response): void {
    response.clearCookie(this.config.SESSION_COOKIE_NAME, this.attributes());
  }

  private attributes() {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.config.isProduction,
      path: '/',
    };
  }
}
