import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ADMIN_SCOPE, type ApiKeyScope } from '../admin/admin-access';
import { ApiKeyRequest, bearerCredential } from '../api-keys/api-key-request';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AppError } from '../common/app-error';
import { IS_PUBLIC } from '../common/public.decorator';
import { AuthenticatedRequest } from './authenticated-request';
import { RequestContext } from '../events/request-context';
import { BrowserSessions } from './browser-sessions';

/**
 * Global guard: every route needs a live session unless it is marked @Public(). Admin routes
 * (@AdminAccess) also take an API key, `Authorization: Bearer <key>`; what the caller may do there
 * is AdminGuard's to decide.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly browserSessions: BrowserSessions,
    private readonly apiKeys: ApiKeysService,
    private readonly context: RequestContext,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<Request>();
    const key = bearerCredential(request);
    if (key !== undefined) {
      const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(ADMIN_SCOPE, targets);
      return this.authenticateKey(request as ApiKeyRequest, key, scope);
    }

    const auth = await this.browserSessions.authenticate(request);
    if (!auth) {
      throw new AppError(
        'UNAUTHENTICATED',
        'You are not signed in, or your session has ended. Sign in, then try again.',
      );
    }
    (request as AuthenticatedRequest).auth = auth;
    this.context.setActor({ kind: 'user', id: auth.user._id.toHexString() });
    return true;
  }

  /**
   * A key speaks for a backend, not a person: it opens the admin API and nothing else, so a key
   * sent to any other route is refused rather than quietly ignored in favour of a cookie.
   */
  private async authenticateKey(
    request: ApiKeyRequest,
    key: string,
    scope: ApiKeyScope | undefined,
  ): Promise<boolean> {
    if (scope === undefined) {
      throw new AppError(
        'UNAUTHENTICATED',
        'API keys are accepted by the admin API (/admin/…) only; this route needs a signed-in session.',
      );
    }
    const apiKey = await this.apiKeys.authenticate(key);
    if (!apiKey) {
      throw new AppError(
        'UNAUTHENTICATED',
        'This API key is not valid: it is malformed, unknown or revoked.',
      );
    }
    request.apiKey = apiKey;
    this.context.setActor({ kind: 'api_key', id: apiKey.id });
    return true;
  }
}
