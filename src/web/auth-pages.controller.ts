import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthService } from '../sign-in/auth.service';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { LoginDto } from '../sign-in/dto/login.dto';
import { RegisterDto } from '../sign-in/dto/register.dto';
import { PasswordPolicy } from '../sign-in/methods/password/password-policy.service';
import { SignInRecord } from '../sign-in/sign-in-record';
import { SignInService } from '../sign-in/sign-in.service';
import { SecondStepPage } from '../sign-in/two-step/second-step-page';
import { AppError, ErrorCode } from '../platform/http/app-error';
import { Public } from '../platform/http/public.decorator';
import { SignInThrottle } from '../sign-in/limits/sign-in-throttle';
import { ProfileFields } from '../users/profile-fields/profile-fields.service';
import { toUserView } from '../users/user.view';
import { RequireFormToken } from './csrf.guard';
import { formField, readForm } from './forms';
import { errorText } from './messages';
import { PageErrorFilter } from './page-error.filter';
import { PagesService } from './pages.service';
import { profileInputs, readProfileForm } from './profile-form';

/** Refusals of a password sign-in that the sign-in page shows above its form. */
const SHOWN_ON_LOGIN = new Set<ErrorCode>(['INVALID_CREDENTIALS', 'ACCOUNT_DISABLED']);

/** Home, sign-in, registration and sign-out pages. */
@ApiExcludeController()
@Public()
@UseFilters(PageErrorFilter)
@Controller()
export class AuthPagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly auth: AuthService,
    private readonly signIn: SignInService,
    private readonly sessions: BrowserSessions,
    private readonly policy: PasswordPolicy,
    private readonly profileFields: ProfileFields,
    private readonly secondStepPage: SecondStepPage,
  ) {}

  @Get()
  async home(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.pages.current(request);
    const user = auth && toUserView(auth.user);
    const connected = this.pages.providers.filter(({ key }) => user?.providers.includes(key));
    await this.pages.render(request, response, 'home', { title: 'Your account', user, connected });
  }

  @Get('login')
  async login(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.showLogin(request, response, this.requestedReturnTo(request.query.returnTo), {
      error: errorText(request.query.error),
    });
  }

  @Post('login')
  @RequireFormToken()
  @SignInThrottle()
  async submitLogin(@Req() request: Request, @Res() response: Response): Promise<void> {
    const returnTo = this.requestedReturnTo(formField(request.body, 'returnTo'));
    const form = await readForm(LoginDto, request.body, { required: ['login', 'password'] });
    if (Object.keys(form.errors).length > 0) {
      return this.showLogin(request, response, returnTo, { ...form }, 400);
    }
    try {
      const proved = await this.auth.verifyCredentials(form.value.login, form.value.password);
      const outcome = await this.signIn.complete(proved, this.sessions.signInClient(request));
      if (outcome.status === 'second-factor-required') {
        this.sessions.setSecondStepCookie(response, outcome);
        return this.pages.redirectTo(response, this.secondStepPage.url(returnTo));
      }
      this.sessions.setCookie(response, outcome);
      this.pages.redirectTo(response, returnTo ?? this.pages.url('/'), 'signed-in');
    } catch (error) {
      if (!(error instanceof AppError) || !SHOWN_ON_LOGIN.has(error.code)) throw error;
      await this.showLogin(
        request,
        response,
        returnTo,
        { ...form, error: error.message },
        error.status,
      );
    }
  }

  @Get('register')
  async register(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.pages.render(request, response, 'register', {
      title: 'Create an account',
      errors: {},
      typed: {},
      profileFields: profileInputs(this.profileFields.definitions, {}, {}, 'optional'),
      providerLinks: this.pages.providerLinks(),
    });
  }

  @Post('register')
  @RequireFormToken()
  @SignInThrottle()
  async submitRegister(@Req() request: Request, @Res() response: Response): Promise<void> {
    const form = await readForm(RegisterDto, request.body, {
      required: ['email', 'password'],
      optional: ['name', 'username'],
    });
    // The password rules too, so every problem shows at once rather than one per attempt; an
    // email or username the form refuses is not held against the password.
    const weak = form.errors.password
      ? undefined
      : this.policy.problem(form.value.password, {
          email: form.errors.email ? undefined : form.value.email,
          username: form.errors.username ? undefined : form.value.username,
        });
    if (weak) form.errors.password = weak;
    const profile = readProfileForm(this.profileFields.definitions, request.body, 'register');
    Object.assign(form.errors, profile.errors);
    if (
      !form.errors.password &&
      formField(request.body, 'passwordConfirm') !== form.value.password
    ) {
      form.errors.passwordConfirm = 'The two passwords are not the same.';
    }
    const show = (status: number) =>
      this.pages.render(
        request,
        response,
        'register',
        {
          title: 'Create an account',
          errors: form.errors,
          typed: form.typed,
          profileFields: profileInputs(
            this.profileFields.definitions,
            profile.typed,
            form.errors,
            'optional',
          ),
          providerLinks: this.pages.providerLinks(),
        },
        status,
      );
    if (Object.keys(form.errors).length > 0) return show(400);
    try {
      const user = await this.auth.register({ ...form.value, data: profile.changes });
      const outcome = await this.signIn.complete(
        new SignInRecord(user, { method: 'password' }),
        this.sessions.signInClient(request),
      );
      // A new account has no two-step sign-in yet.
      if (outcome.status !== 'signed-in') throw new Error('A new account took a second step');
      this.sessions.setCookie(response, outcome);
      this.pages.redirect(response, '/settings', 'registered');
    } catch (error) {
      if (!(error instanceof AppError) || !error.field) throw error;
      form.errors[error.field] = error.message;
      await show(error.status);
    }
  }

  @Post('logout')
  @RequireFormToken()
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    await this.sessions.signOut(request, response);
    this.pages.redirect(response, '/login', 'signed-out');
  }

  /** A returnTo the person asked for and may have, as a checked absolute URL. */
  private requestedReturnTo(requested: unknown): string | undefined {
    return requested === undefined || requested === '' ? undefined : this.pages.returnTo(requested);
  }

  private showLogin(
    request: Request,
    response: Response,
    returnTo: string | undefined,
    problems: { errors?: object; typed?: object; error?: string },
    status = 200,
  ): Promise<void> {
    return this.pages.render(
      request,
      response,
      'login',
      {
        title: 'Sign in',
        errors: {},
        typed: {},
        ...problems,
        returnTo,
        providerLinks: this.pages.providerLinks(returnTo),
      },
      status,
    );
  }
}
