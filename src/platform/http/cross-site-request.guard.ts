import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { AppError } from './app-error';

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

  constructor(config: AppConfig) {
    this.trustedOrigins = config.trustedOrigins;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(request.method)) return true;
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
