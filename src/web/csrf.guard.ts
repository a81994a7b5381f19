import { CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { CsrfService } from './csrf.service';

/** Refuses a form post without this site's CSRF token for this browser (403 CSRF_TOKEN_INVALID). */
@Injectable()
export class CsrfGuard implements CanActivate {
  constructor(private readonly csrf: CsrfService) {}

  canActivate(context: ExecutionContext): boolean {
    this.csrf.assertValid(context.switchToHttp().getRequest<Request>());
    return true;
  }
}

/**
 * On every POST of the pages, right under @Post(): decorators apply bottom-up, so its guard runs
 * after the route's other guards (the session, a recent sign-in, the sign-in throttle), as a check
 * at the start of the handler would. A post without its token still counts toward the throttle,
 * and an old session is still asked to confirm it's you first.
 */
export const RequireFormToken = () => UseGuards(CsrfGuard);
