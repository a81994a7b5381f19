import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../../platform/config/app-config';
import { SECOND_STEP_LIFETIME_MS } from './second-steps';

/** How the OpenAPI document shows a response that sets or clears the second step's cookie. */
export const SECOND_STEP_COOKIE_HEADER = {
  'Set-Cookie': {
    description:
      "The second step's cookie (HttpOnly, SameSite=Lax, 5 minutes; `<SESSION_COOKIE_NAME>_second_step`, Secure and `__Secure-` under https): what was proved so far. No session exists yet.",
    schema: { type: 'string' },
  },
};

/**
 * The cookie that holds a pending second step's token (SecondSteps) between the first factor and
 * the code: HTTP-only, SameSite=Lax, five minutes, on the whole service (the API's
 * /auth/second-factor and the page /login/second-factor).
 */
@Injectable()
export class SecondStepCookie {
  private readonly name: string;
  private readonly attributes: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: string };

  constructor(config: AppConfig) {
    const secure = config.secureCookies;
    this.name = `${secure ? '__Secure-' : ''}${config.SESSION_COOKIE_NAME}_second_step`;
    this.attributes = { httpOnly: true, sameSite: 'lax', secure, path: `${config.basePath}/` };
  }

  write(response: Response, token: string): void {
    response.cookie(this.name, token, { ...this.attributes, maxAge: SECOND_STEP_LIFETIME_MS });
  }

  read(request: Request): string | undefined {
    const value = (request.cookies as Record<string, unknown> | undefined)?.[this.name];
    return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
  }

  clear(response: Response): void {
    response.clearCookie(this.name, this.attributes);
  }
}
