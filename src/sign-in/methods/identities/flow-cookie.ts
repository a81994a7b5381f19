import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../../../platform/config/app-config';
import { FLOW_LIFETIME_MS } from './sign-in-flows';

/**
 * The cookie binding a provider round trip to the browser that started it: HTTP-only, sent only
 * to the callback paths as browsers see them (under PUBLIC_URL's path), Secure under https.
 */
@Injectable()
export class FlowCookie {
  private readonly name: string;
  private readonly attributes: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: string };

  constructor(config: AppConfig) {
    const secure = config.secureCookies;
    this.name = `${secure ? '__Secure-' : ''}${config.SESSION_COOKIE_NAME}_flow`;
    this.attributes = { httpOnly: true, sameSite: 'lax', secure, path: `${config.basePath}/auth` };
  }

  /** Gives the browser a fresh secret; the flow stores only its hash. */
  issue(response: Response): string {
    const secret = randomBytes(32).toString('base64url');
    response.cookie(this.name, secret, { ...this.attributes, maxAge: FLOW_LIFETIME_MS });
    return secret;
  }

  read(request: Request): string | undefined {
    const value = (request.cookies as Record<string, unknown> | undefined)?.[this.name];
    return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
  }

  clear(response: Response): void {
    response.clearCookie(this.name, this.attributes);
  }
}
