import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../sign-in/authenticated-request';
import { AppError } from '../platform/http/app-error';
import { AppExceptionFilter } from '../platform/http/app-exception.filter';
import { PagesService } from './pages.service';

/**
 * How the pages answer refusals: signed out, the sign-in page (and back to the settings, the only
 * pages that need a session); without a recent sign-in, the "confirm it's you" step. Anything else
 * as everywhere: the error page, with its status.
 */
@Injectable()
@Catch(AppError)
export class PageErrorFilter implements ExceptionFilter {
  private readonly fallback: AppExceptionFilter;

  constructor(private readonly pages: PagesService) {
    this.fallback = new AppExceptionFilter(pages);
  }

  async catch(error: AppError, host: ArgumentsHost): Promise<void> {
    const request = host.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = host.switchToHttp().getResponse<Response>();
    if (error.code === 'UNAUTHENTICATED') {
      this.pages.redirect(response, `/login?returnTo=${encodeURIComponent('/settings')}`);
    } else if (error.code === 'RECENT_SIGN_IN_REQUIRED' && request.auth) {
      await this.pages.renderConfirm(request, response, request.auth, error.status);
    } else {
      this.fallback.catch(error, host);
    }
  }
}
