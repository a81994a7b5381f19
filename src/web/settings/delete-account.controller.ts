import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService } from '../../account/account.service';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { BrowserSessions } from '../../sign-in/sessions/browser-sessions';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { AppError } from '../../platform/http/app-error';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { RequireFormToken } from '../csrf.guard';
import { FieldErrors, formField } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';

/** Deleting the account, from its own page after a recent sign-in; the browser is signed out. */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class DeleteAccountController {
  constructor(
    private readonly pages: PagesService,
    private readonly account: AccountService,
    private readonly browserSessions: BrowserSessions,
  ) {}

  @Get('delete')
  @RequireRecentSignIn()
  confirmDeletion(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.show(request, response, auth, 200);
  }

  @Post('delete')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async deleteAccount(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const password = formField(request.body, 'password') || undefined;
    try {
      await this.account.deleteAccount(auth, password);
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      // A refusal about the account itself (LAST_ADMIN) names no field: it shows above the form.
      const problems = error.field
        ? { errors: { [error.field]: error.message } }
        : { error: error.message };
      return this.show(request, response, auth, error.status, problems);
    }
    this.browserSessions.forget(response);
    this.pages.redirect(response, '/login', 'account-deleted');
  }

  private show(
    request: Request,
    response: Response,
    auth: Auth,
    status: number,
    { errors = {}, error }: { errors?: FieldErrors; error?: string } = {},
  ): Promise<void> {
    return this.pages.render(
      request,
      response,
      'delete',
      {
        title: 'Delete your account',
        hasPassword: typeof auth.user.passwordHash === 'string',
        errors,
        error,
      },
      status,
    );
  }
}
