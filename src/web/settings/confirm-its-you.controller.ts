import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { Reauthentication } from '../../sign-in/reauthentication/reauthentication.service';
import { BrowserSessions } from '../../sign-in/sessions/browser-sessions';
import type { SignInProof } from '../../sign-in/sessions/sessions.service';
import { AppError } from '../../platform/http/app-error';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { RequireFormToken } from '../csrf.guard';
import { formField } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';

/**
 * "Confirm it's you" with the password, and with two-step sign-in a code, asked for directly
 * (PageErrorFilter shows the same step when a change needs it); the session becomes recent, and
 * the person lands on their settings. What confirms is Reauthentication's, as for the API.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class ConfirmItsYouController {
  constructor(
    private readonly pages: PagesService,
    private readonly reauthentication: Reauthentication,
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
    // The form's fields, each only when filled in (an account without a password shows none).
    const given = (field: string) => formField(request.body, field) || undefined;
    const answer = {
      password: given('password'),
      code: given('code'),
      recoveryCode: given('recoveryCode'),
    };
    let proof: SignInProof;
    try {
      if (answer.password === undefined && typeof auth.user.passwordHash === 'string') {
        throw new AppError('VALIDATION_FAILED', 'Please fill in this field.', 'password');
      }
      proof = await this.reauthentication.confirm(auth, answer);
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      const errors = { [error.field ?? 'password']: error.message };
      return this.pages.renderConfirm(request, response, auth, error.status, errors);
    }
    await this.browserSessions.renew(response, auth, { proof, securityEvent: true });
    this.pages.redirect(response, '/settings', 'reauthenticated');
  }
}
