import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ADMIN_SCOPE, type ApiKeyScope } from '../admin-access';
import { AppError } from '../../platform/http/app-error';
import { IS_PUBLIC } from '../../platform/http/public.decorator';
import { RouteMarker } from '../../platform/http/route-marker';
import { RequestContext } from '../../audit/events/request-context';
import { ApiKeyRequest, bearerCredential } from './api-key-request';
import { ApiKeysService } from './api-keys.service';

/**
 * Global guard, before SessionGuard: a request with `Authorization: Bearer <key>` is authenticated
 * by its API key (`request.apiKey`, the actor `{kind: 'api_key', id}`), and then needs no session.
 * What the key may do on the route is AdminGuard's to decide. Requests without one pass untouched,
 * as do public routes (GET /metrics has a Bearer token of its own).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly isPublic: RouteMarker<boolean>;
  private readonly adminScope: RouteMarker<ApiKeyScope>;

  constructor(
    reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    private readonly context: RequestContext,
  ) {
    this.isPublic = new RouteMarker(reflector, IS_PUBLIC);
    this.adminScope = new RouteMarker(reflector, ADMIN_SCOPE);
  }

  /** Synchronous unless there is a key to check: most requests have none. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.isPublic.of(context)) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const key = bearerCredential(request);
    if (key === undefined) return true;

    // A key speaks for a backend, not a person: it opens the admin API and nothing else, so a key
    // sent to any other route is refused rather than quietly ignored in favour of a cookie.
    if (this.adminScope.of(context) === undefined) {
      throw new AppError(
        'UNAUTHENTICATED',
        'API keys are accepted by the admin API (/admin/…) only; this route needs a signed-in session.',
      );
    }
    return this.authenticate(request, key);
  }

  private async authenticate(request: Request, key: string): Promise<boolean> {
    const apiKey = await this.apiKeys.authenticate(key);
    if (!apiKey) {
      throw new AppError(
        'UNAUTHENTICATED',
        'This API key is not valid: it is malformed, unknown or revoked.',
      );
    }
    (request as ApiKeyRequest).apiKey = apiKey;
    this.context.setActor({ kind: 'api_key', id: apiKey.id });
    return true;
  }
}
