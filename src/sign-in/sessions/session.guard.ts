import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../../platform/http/app-error';
import { IS_PUBLIC } from '../../platform/http/public.decorator';
import { RouteMarker } from '../../platform/http/route-marker';
import { AuthenticatedRequest } from '../authenticated-request';
import { userActor } from '../../audit/events/event.schema';
import { RequestContext } from '../../audit/events/request-context';
import { BrowserSessions } from './browser-sessions';

/**
 * Global guard: every route needs a live session unless it is marked @Public(), or an API key
 * authenticated the request already (ApiKeyGuard, which runs first and takes keys on admin routes
 * only).
 */
@Injectable()
export class SessionGuard implements CanActivate {
  private readonly isPublic: RouteMarker<boolean>;

  constructor(
    reflector: Reflector,
    private readonly browserSessions: BrowserSessions,
    private readonly context: RequestContext,
  ) {
    this.isPublic = new RouteMarker(reflector, IS_PUBLIC);
  }

  /** Synchronous on public routes and for API keys: only a session needs the database. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic.of(context)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if ((request as { apiKey?: unknown }).apiKey !== undefined) return true;
    return this.authenticate(request);
  }

  private async authenticate(request: AuthenticatedRequest): Promise<boolean> {
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
