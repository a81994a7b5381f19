import { Controller, Get, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError } from '../platform/http/app-error';
import { Public } from '../platform/http/public.decorator';
import { SignInThrottle } from '../sign-in/limits/sign-in-throttle';
import { ForgotPasswordDto } from '../account/recovery/dto/forgot-password.dto';
import { PasswordRecovery } from '../account/recovery/password-recovery.service';
import { EmailVerification } from '../account/email-verification/email-verification.service';
import { RequireFormToken } from './csrf.guard';
import { FieldErrors, formField, readForm } from './forms';
import { PageErrorFilter } from './page-error.filter';
import { PagesService } from './pages.service';

const DEAD_LINK =
  'This link is not valid any more: it was used already, it expired, or a newer one replaced it.';

/**
 * The pages the links in our messages open. Opening a link changes nothing (mail scanners fetch
 * links too): each page has a button that does.
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorFilter)
@Controller()
export class EmailPagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly verification: EmailVerification,
    private readonly recovery: PasswordRecovery,
  ) {}

  @Get('verify-email')
  async verifyEmail(
    @Query('token') token: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const link = await this.verification.describeLink(token);
    await this.pages.render(
      request,
      response,
      'verify-email',
      {
        title: link?.change ? 'Confirm your new email address' : 'Confirm your email address',
        valid: link !== null,
        change: link?.change,
        email: link?.email,
        token,
        problem: DEAD_LINK,
      },
      link ? 200 : 400,
    );
  }

  @Post('verify-email')
  @RequireFormToken()
  @SignInThrottle()
  async confirmEmail(@Req() request: Request, @Res() response: Response): Promise<void> {
    const current = await this.pages.current(request);
    try {
      const { signedOut } = await this.verification.verify(
        formField(request.body, 'token'),
        current,
      );
      if (signedOut) this.pages.redirect(response, '/login', 'email-verified-signed-out');
      else this.pages.redirect(response, '/settings', 'email-verified');
    } catch (error) {
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      await this.pages.render(
        request,
        response,
        'verify-email',
        { title: 'Confirm your email address', valid: false, problem: error.message },
        error.status,
      );
    }
  }

  @Get('cancel-email-change')
  async cancelEmailChange(
    @Query('token') token: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const change = await this.verification.describeCancellation(token);
    await this.pages.render(
      request,
      response,
      'cancel-email-change',
      {
        title: 'Cancel the email change',
        valid: change !== null,
        email: change?.email,
        token,
        problem: DEAD_LINK,
      },
      change ? 200 : 400,
    );
  }

  @Post('cancel-email-change')
  @RequireFormToken()
  @SignInThrottle()
  async confirmCancellation(@Req() request: Request, @Res() response: Response): Promise<void> {
    try {
      await this.verification.cancelChange(formField(request.body, 'token'));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'INVALID_TOKEN') throw error;
      return this.pages.render(
        request,
        response,
        'cancel-email-change',
        { title: 'Cancel the email change', valid: false, problem: error.message },
        error.status,
      );
    }
    const signedIn = (await this.pages.current(request)) !== null;
    this.pages.redirect(response, signedIn ? '/settings' : '/login', 'email-change-cancelled');
  }

  @Get('forgot-password')
  async forgotPassword(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.pages.render(request, response, 'forgot-password', {
      title: 'Forgot your password?',
      errors: {},
      typed: {},
    });
  }

  @Post('forgot-password')
  @RequireFormToken()
  @SignInThrottle()
  async requestRecovery(@Req() request: Request, @Res() response: Response): Promise<void> {
    const form = await readForm(ForgotPasswordDto, request.body, { required: ['email'] });
    if (Object.keys(form.errors).length > 0) {
      return this.pages.render(
        request,
        response,
        'forgot-password',
        { title: 'Forgot your password?', ...form },
        400,
      );
    }
    this.recovery.requestLink(form.value.email);
    this.pages.redirect(response, '/login', 'recovery-sent');
  }

  @Get('reset-password')
  async resetPassword(
    @Query('token') token: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const link = await this.recovery.describeLink(token);
    await this.showReset(request, response, token, link?.email, {}, link ? 200 : 400);
  }

  @Post('reset-password')
  @RequireFormToken()
  @SignInThrottle()
  async setPassword(@Req() request: Request, @Res() response: Response): Promise<void> {
    const token = formField(request.body, 'token');
    const link = await this.recovery.describeLink(token);
    if (!link) return this.showReset(request, response, token, undefined, {}, 400);
    const newPassword = formField(request.body, 'newPassword');
    const errors: FieldErrors = {};
    if (!newPassword) errors.newPassword = 'Please fill in this field.';
    else if (formField(request.body, 'newPasswordConfirm') !== newPassword) {
      errors.newPasswordConfirm = 'The two passwords are not the same.';
    }
    if (Object.keys(errors).length > 0) {
      return this.showReset(request, response, token, link.email, errors, 400);
    }
    try {
      await this.recovery.reset(token, newPassword);
    } catch (error) {
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      const field = error.field === 'token' ? undefined : (error.field ?? 'newPassword');
      if (!field) return this.showReset(request, response, token, undefined, {}, error.status);
      return this.showReset(
        request,
        response,
        token,
        link.email,
        { [field]: error.message },
        error.status,
      );
    }
    // Every session ended with the reset, this browser's too.
    this.pages.redirect(response, '/login', 'password-reset');
  }

  private showReset(
    request: Request,
    response: Response,
    token: unknown,
    email: string | undefined,
    errors: FieldErrors,
    status: number,
  ): Promise<void> {
    return this.pages.render(
      request,
      response,
      'reset-password',
      {
        title: 'Choose a new password',
        valid: email !== undefined,
        email,
        token,
        errors,
        problem: DEAD_LINK,
      },
      status,
    );
  }
}
