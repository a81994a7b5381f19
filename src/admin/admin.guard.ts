import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/app-error';
import type { Role } from '../users/schemas/user.schema';
import { ADMIN_SCOPE, type ApiKeyScope } from './admin-access';

/**
 * What this guard reads of a request, as SessionGuard leaves it: `apiKey` (ApiKeyRequest) or
 * `auth` (AuthenticatedRequest). Written out here so that admin/ depends on neither module.
 */
interface AdminCaller {
  apiKey?: { scopes: readonly ApiKeyScope[] };
  auth?: { user: { role: Role } };
}

/**
 * Global guard, after SessionGuard: on a route marked @AdminAccess(scope), an API key needs that
 * scope or `admin`, and a signed-in person needs the role `admin`. Other routes pass untouched.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(ADMIN_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope === undefined) return true;
    const request = context.switchToHttp().getRequest<AdminCaller>();
    if (request.apiKey) {
      const { scopes } = request.apiKey;
      if (scopes.includes(scope) || scopes.includes('admin')) return true;
      throw new AppError('FORBIDDEN', `This API key lacks the scope this route needs: ${scope}.`);
    }
    if (request.auth?.user.role === 'admin') return true;
    throw new AppError('FORBIDDEN', 'Only an admin may use this route.');
  }
}
