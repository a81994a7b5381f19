import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { AuthService } from '../../sign-in/auth.service';
import { BrowserSessions } from '../../sign-in/sessions/browser-sessions';
import { AppError } from '../../platform/http/app-error';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { RequireFormToken } from '../csrf.guard';
import { formField } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';

/**
 * "Confirm it's you" with the password, asked for directly (PageErrorFilter shows the same step
 * when a change needs it); the session becomes recent, and the person lands on their settings.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class ConfirmItsYouController {
  constructor(
    private readonly pages: PagesService,
    private readonly auth: AuthService,
    private readonly browserSessions: BrowserSessions,
  ) {}

  @Get('confirm')
  confirm(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.pages.renderConfirm(request, response, auth, 200);
  }

  @Post('confirm')
  @RequireFormToken()
  @SignInThrottle()
  async submitConfirm(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const password = formField(request.body, 'password');
    try {
      if (!password)
        throw new AppError('VALIDATION_FAILED', 'Please fill in this field.', 'password');
      await this.auth.confirmPassword(auth.user, password, 'password');
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      const errors = { [error.field ?? 'password']: error.message };
      return this.pages.renderConfirm(request, response, auth, error.status, errors);
    }
    await this.browserSessions.renew(response, auth, {
      proof: { method: 'password' },
      securityEvent: true,
    });
    this.pages.redirect(response, '/settings', 'reauthenticated');
  }
}
