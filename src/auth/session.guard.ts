import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/app-error';
import { IS_PUBLIC } from '../common/public.decorator';
import { AuthenticatedRequest } from './authenticated-request';
import { userActor } from '../events/event.schema';
import { RequestContext } from '../events/request-context';
import { BrowserSessions } from './browser-sessions';

/**
 * Global guard: every route needs a live session unless it is marked @Public(), or an API key
 * authenticated the request already (ApiKeyGuard, which runs first and takes keys on admin routes
 * only).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly browserSessions: BrowserSessions,
    private readonly context: RequestContext,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if ((request as { apiKey?: unknown }).apiKey !== undefined) return true;
    const auth = await this.browserSessions.authenticate(request);
    if (!auth) {
      throw new AppError(
        'UNAUTHENTICATED',
        'You are not signed in, or your session has ended. Sign in, then try again.',
      );
    }
    request.auth = auth;
    this.context.setActor(userActor(auth.user._id));
    return true;
  }
}
