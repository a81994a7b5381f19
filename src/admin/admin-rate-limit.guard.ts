import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../platform/http/app-error';
import { RouteMarker } from '../platform/http/route-marker';
import { MongoThrottlerStorage } from '../platform/rate-limits/mongo-throttler.storage';
import { ADMIN_SCOPE, ApiKeyScope } from './admin-access';
import { AdminConfig, adminConfig } from './admin-config';
import type { AdminRequest } from './admin.guard';

const MINUTE_MS = 60_000;

/**
 * Global guard, after AdminGuard, for routes marked @AdminAccess: ADMIN_RATE_LIMIT requests a
 * minute from one caller (the API key, or the admin's account, whichever device it uses), counted
 * in MongoDB so every instance shares the count. Past it, 429 TOO_MANY_REQUESTS with Retry-After
 * until the minute ends; the refused request does nothing. Other routes pass untouched.
 */
@Injectable()
export class AdminRateLimitGuard implements CanActivate {
  private readonly adminScope: RouteMarker<ApiKeyScope>;

  constructor(
    reflector: Reflector,
    private readonly counts: MongoThrottlerStorage,
    @Inject(adminConfig.KEY) private readonly config: AdminConfig,
  ) {
    this.adminScope = new RouteMarker(reflector, ADMIN_SCOPE);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.adminScope.of(context) === undefined) return true;
    const { auth, apiKey } = context.switchToHttp().getRequest<AdminRequest>();
    // AdminGuard let the request through: it has one or the other.
    const caller = apiKey ? `key:${apiKey.id}` : `user:${auth!.user._id.toHexString()}`;
    const count = await this.counts.increment(
      caller,
      MINUTE_MS,
      this.config.ADMIN_RATE_LIMIT,
      0,
      'admin',
    );
    if (!count.isBlocked) return true;
    throw new AppError(
      'TOO_MANY_REQUESTS',
      'Too many admin requests from this caller. Please wait a minute and try again.',
      undefined,
      Math.max(1, count.timeToBlockExpire),
    );
  }
}
