import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { AppError } from './app-error';
import { RouteMarker } from './route-marker';

export const CROSS_SITE_ALLOWED = 'crossSiteAllowed';

/**
 * A route that other sites may post to (an app's form to the provider's logout endpoint): it must
 * change nothing itself, since the guard lets any site's request through to it.
 */
export const CrossSiteAllowed = () => SetMetadata(CROSS_SITE_ALLOWED, true);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests that a browser marks as coming from another site, so a hostile
 * page cannot act with the visitor's cookie. Clients that send neither Origin nor Sec-Fetch-Site
 * are not browsers and are served.
 *
 * API keys (`Authorization: Bearer`) need nothing more: a backend sends no Origin, and a browser
 * attaches no such header by itself; a page that sets one on a request to another origin must pass
 * a CORS preflight first, which only ALLOWED_ORIGINS do.
 */
@Injectable()
export class CrossSiteRequestGuard implements CanActivate {
  private readonly trustedOrigins: Set<string>;
  private readonly crossSiteAllowed: RouteMarker<boolean>;

  constructor(config: AppConfig, reflector: Reflector) {
    this.trustedOrigins = config.trustedOrigins;
    this.crossSiteAllowed = new RouteMarker(reflector, CROSS_SITE_ALLOWED);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(request.method) || this.crossSiteAllowed.of(context)) return true;
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    if ((origin !== undefined && !this.trustedOrigins.has(origin)) || fetchSite === 'cross-site') {
      throw new AppError(
        'CROSS_SITE_REQUEST',
        'This request came from another site and was refused. Use the service from its own pages or an allowed origin.',
      );
    }
    return true;
  }
}
