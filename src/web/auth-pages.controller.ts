import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthService } from '../auth/auth.service';
import { LoginDto } from '../auth/dto/login.dto';
import { RegisterDto } from '../auth/dto/register.dto';
import { PasswordPolicy } from '../auth/password-policy.service';
import { SessionAuthenticator } from '../auth/session-authenticator.service';
import { AppError } from '../common/app-error';
import { Public } from '../common/public.decorator';
import { SignInThrottle } from '../common/sign-in-throttle';
import { toUserView } from '../users/user.view';
import { formField, readForm } from './forms';
import { errorText } from './messages';
import { PagesService } from './pages.service';

/** Home, sign-in, registration and sign-out pages. */
@ApiExcludeController()
@Public()
@Controller()
export class AuthPagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly auth: AuthService,
    private readonly sessions: SessionAuthenticator,
    private readonly policy: PasswordPolicy,
  ) {}

  @Get()
  async home(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.pages.current(request);
    const user = auth && toUserView(auth.user);
    const connected = this.pages.providers.filter(({ key }) => user?.providers.includes(key));
    this.pages.render(request, response, 'home', { title: 'Your account', user, connected });
  }

  @Get('login')
  login(@Req() request: Request, @Res() response: Response): void {
    this.pages.render(request, response, 'login', {
      title: 'Sign in',
      error: errorText(request.query.error),
      returnTo: this.pages.returnTo(request.query.returnTo),
    });
  }

  @Post('login')
  @SignInThrottle()
  async submitLogin(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.pages.checkForm(request);
    const returnTo = this.pages.returnTo(formField(request.body, 'returnTo'));
    const form = await readForm(LoginDto, request.body, { required: ['login', 'password'] });
    const show = (status: number, error?: string) =>
      this.pages.render(
        request,
        response,
        'login',
        { title: 'Sign in', errors: form.errors, typed: form.typed, error, returnTo },
        status,
      );
    if (Object.keys(form.errors).length > 0) return show(400);
    try {
      const user = await this.auth.verifyCredentials(form.value.login, form.value.password);
      await this.sessions.signIn(user, request, response);
      this.pages.redirectTo(response, returnTo, 'signed-in');
    } catch (error) {
      if (error instanceof AppError && error.code === 'INVALID_CREDENTIALS')
        return show(401, error.message);
      throw error;
    }
  }

  @Get('register')
  register(@Req() request: Request, @Res() response: Response): void {
    this.pages.render(request, response, 'register', {
      title: 'Create an account',
      errors: {},
      typed: {},
    });
  }

  @Post('register')
  @SignInThrottle()
  async submitRegister(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.pages.checkForm(request);
    const form = await readForm(RegisterDto, request.body, {
      required: ['email', 'password'],
      optional: ['name', 'username'],
    });
    // The password rules too, so every problem shows at once rather than one per attempt.
    const weak = form.errors.password ? undefined : this.policy.problem(form.value.password);
    if (weak) form.errors.password = weak;
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
        { title: 'Create an account', errors: form.errors, typed: form.typed },
        status,
      );
    if (Object.keys(form.errors).length > 0) return show(400);
    try {
      const user = await this.auth.register(form.value);
      await this.sessions.signIn(user, request, response);
      this.pages.redirect(response, '/settings', 'registered');
    } catch (error) {
      if (!(error instanceof AppError) || !error.field) throw error;
      form.errors[error.field] = error.message;
      show(error.status);
    }
  }

  @Post('logout')
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    this.pages.checkForm(request);
    await this.sessions.signOut(request, response);
    this.pages.redirect(response, '/login', 'signed-out');
  }
}
