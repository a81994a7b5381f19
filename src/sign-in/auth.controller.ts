import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ApiErrors } from '../platform/http/api-errors.decorator';
import { Public } from '../platform/http/public.decorator';
import { SignInThrottle } from './limits/sign-in-throttle';
import { toUserView, UserEnvelope } from '../users/user.view';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { RememberedBlocksGuard } from './limits/remembered-blocks.guard';
import { LocalAuthGuard } from './methods/password/local-auth.guard';
import { BrowserSessions } from './sessions/browser-sessions';
import { SESSION_COOKIE_HEADER } from './sessions/session-cookie';
import { SignInRecord } from './sign-in-record';
import { SignInService } from './sign-in.service';

@ApiTags('auth')
@Public()
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly signIn: SignInService,
    private readonly sessions: BrowserSessions,
  ) {}

  @Post('register')
  @SignInThrottle()
  @ApiOperation({ summary: 'Create an account with an email and a password, and sign in' })
  @ApiCreatedResponse({
    type: UserEnvelope,
    headers: SESSION_COOKIE_HEADER,
    description: 'Signed in: a session cookie is set.',
  })
  @ApiErrors('WEAK_PASSWORD', 'EMAIL_TAKEN', 'USERNAME_TAKEN', 'BUSY')
  async register(
    @Body() dto: RegisterDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserEnvelope> {
    const user = await this.auth.register(dto);
    const outcome = await this.signIn.complete(
      new SignInRecord(user, { method: 'password' }),
      this.sessions.signInClient(request),
    );
    // A new account has no two-step sign-in yet: it is signed in.
    const signedIn = this.sessions.signedInOrSecondStep(response, outcome);
    return { user: toUserView(signedIn.user) };
  }

  @Post('login')
  @HttpCode(200)
  // An account this instance knows to be blocked is refused first, with no round trip; a client
  // is counted before passport-local runs, so a blocked one costs no password verification.
  @UseGuards(RememberedBlocksGuard, ThrottlerGuard, LocalAuthGuard)
  @ApiOperation({ summary: 'Sign in with an email or username and the password' })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({
    type: UserEnvelope,
    headers: SESSION_COOKIE_HEADER,
    description:
      "Signed in: a session cookie is set. With two-step sign-in on: 401 SECOND_FACTOR_REQUIRED, `methods` beside `error`, and the second step's cookie instead (finish with POST /auth/second-factor).",
  })
  @ApiErrors(
    'INVALID_CREDENTIALS',
    'SECOND_FACTOR_REQUIRED',
    'ACCOUNT_DISABLED',
    'TOO_MANY_REQUESTS',
    'SIGN_IN_LOCKED',
    'BUSY',
  )
  async login(
    // What LocalStrategy found: the account, and what its sign-in writes.
    @Req() request: Request & { user: SignInRecord },
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserEnvelope> {
    const outcome = await this.signIn.complete(request.user, this.sessions.signInClient(request));
    const signedIn = this.sessions.signedInOrSecondStep(response, outcome);
    return { user: toUserView(signedIn.user) };
  }

  @Post('logout')
  @Public({ readsSession: true })
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out this session (also without one)' })
  @ApiNoContentResponse({
    headers: SESSION_COOKIE_HEADER,
    description:
      'This session is ended (its cookie no longer works anywhere) and the cookie cleared.',
  })
  logout(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    return this.sessions.signOut(request, response);
  }
}
