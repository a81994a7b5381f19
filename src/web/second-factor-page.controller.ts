import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError } from '../platform/http/app-error';
import { Public } from '../platform/http/public.decorator';
import { SignInThrottle } from '../sign-in/limits/sign-in-throttle';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { oneSecondFactor, SecondFactorDto } from '../sign-in/two-step/dto/two-step.dto';
import { SecondStepCookie } from '../sign-in/two-step/second-step-cookie';
import { SecondStepSignIn } from '../sign-in/two-step/second-step-sign-in';
import { RequireFormToken } from './csrf.guard';
import { formField, readForm, withoutSpaces } from './forms';
import { PageErrorFilter } from './page-error.filter';
import { PagesService } from './pages.service';

/**
 * The second step of a sign-in with two-step sign-in on, in a browser: the form for a code or a
 * recovery code, after /login, a provider's callback or an app's sign-in (the interaction is its
 * returnTo). Finished at the same door as POST /auth/second-factor (SecondStepSignIn).
 */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorFilter)
@Controller('login/second-factor')
export class SecondFactorPageController {
  constructor(
    private readonly pages: PagesService,
    private readonly secondStep: SecondStepSignIn,
    private readonly cookie: SecondStepCookie,
    private readonly sessions: BrowserSessions,
  ) {}

  @Get()
  async show(@Req() request: Request, @Res() response: Response): Promise<void> {
    const returnTo = this.requestedReturnTo(request.query.returnTo);
    const token = this.cookie.read(request);
    if (!(await this.secondStep.isPending(token))) {
      // With the cookie of a step that ended (five minutes, five wrong codes), say so.
      return this.startAgain(response, returnTo, token !== undefined);
    }
    await this.render(request, response, returnTo, {});
  }

  @Post()
  @RequireFormToken()
  @SignInThrottle()
  async submit(@Req() request: Request, @Res() response: Response): Promise<void> {
    const returnTo = this.requestedReturnTo(formField(request.body, 'returnTo'));
    const form = await readForm(SecondFactorDto, withoutSpaces(request.body, 'code'), {
      required: [],
      optional: ['code', 'recoveryCode'],
    });
    if (Object.keys(form.errors).length > 0) {
      return this.render(request, response, returnTo, form.errors, 400);
    }
    const token = this.cookie.read(request);
    try {
      const answer = oneSecondFactor(form.value)!;
      const outcome = await this.secondStep.finish(
        token,
        answer,
        this.sessions.signInClient(request),
      );
      // Finished with its second factor: the door signs it in.
      if (outcome.status !== 'signed-in') throw new Error('A second step asked for another one');
      this.sessions.setCookie(response, outcome);
      this.pages.redirectTo(response, returnTo ?? this.pages.url('/'), 'signed-in');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'SECOND_STEP_EXPIRED') return this.startAgain(response, returnTo, true);
      if (!error.field) throw error;
      // The wrong code that was the step's last try: no form to show again, only a new start.
      if (error.code === 'WRONG_CODE' && !(await this.secondStep.isPending(token))) {
        return this.startAgain(response, returnTo, true);
      }
      await this.render(
        request,
        response,
        returnTo,
        { [error.field]: error.message },
        error.status,
      );
    }
  }

  private render(
    request: Request,
    response: Response,
    returnTo: string | undefined,
    errors: Record<string, string>,
    status = 200,
  ): Promise<void> {
    const startAgain = new URLSearchParams(returnTo === undefined ? {} : { returnTo }).toString();
    return this.pages.render(
      request,
      response,
      'second-factor',
      {
        title: 'Two-step sign-in',
        errors,
        returnTo,
        // The field to type in: the code, unless a recovery code was just refused.
        focusRecoveryCode: errors.recoveryCode !== undefined && errors.code === undefined,
        startAgainQuery: startAgain ? `?${startAgain}` : '',
      },
      status,
    );
  }

  /** Back to /login (keeping where the sign-in was going), saying why when the step ended. */
  private startAgain(response: Response, returnTo: string | undefined, expired = false): void {
    this.cookie.clear(response);
    const query = new URLSearchParams({
      ...(returnTo !== undefined && { returnTo }),
      ...(expired && { error: 'SECOND_STEP_EXPIRED' }),
    }).toString();
    this.pages.redirect(response, `/login${query ? `?${query}` : ''}`);
  }

  private requestedReturnTo(requested: unknown): string | undefined {
    return requested === undefined || requested === '' ? undefined : this.pages.returnTo(requested);
  }
}
