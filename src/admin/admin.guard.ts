import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Auth } from '../sign-in/authenticated-request';
import { AppError } from '../platform/http/app-error';
import { RouteMarker } from '../platform/http/route-marker';
import { ADMIN_SCOPE, ApiKeyScope } from './admin-access';

/** What the global session guard leaves on an admin route's request: a session, or an API key. */
export interface AdminRequest extends Request {
  auth?: Auth;
  apiKey?: { id: string; scopes: readonly string[] };
}

/**
 * Global guard, after the session guard, for routes marked @AdminAccess(scope): a signed-in
 * person needs role `admin` (read from the account on every request, so a demotion counts at
 * once); an API key needs the scope or `admin`. Other routes pass untouched.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly adminScope: RouteMarker<ApiKeyScope>;

  constructor(reflector: Reflector) {
    this.adminScope = new RouteMarker(reflector, ADMIN_SCOPE);
  }

  canActivate(context: ExecutionContext): boolean {
    const scope = this.adminScope.of(context);
    if (scope === undefined) return true;
    const { auth, apiKey } = context.switchToHttp().getRequest<AdminRequest>();
    if (apiKey) {
      if (apiKey.scopes.includes(scope) || apiKey.scopes.includes('admin')) return true;
      throw new AppError('INSUFFICIENT_SCOPE', `This API key lacks the "${scope}" scope.`);
    }
    if (!auth) {
      throw new AppError(
        'UNAUTHENTICATED',
        'Sign in as an admin, or send an API key (Authorization: Bearer …).',
      );
    }
    if (auth.user.role !== 'admin') {
      throw new AppError('ADMIN_REQUIRED', 'Only admins may do this.');
    }
    return true;
  }
}
