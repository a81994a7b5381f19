import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { SignInThrottle } from '../limits/sign-in-throttle';
import { toUserView, UserView } from '../../users/user.view';
import { Auth, CurrentAuth } from '../authenticated-request';
import { BrowserSessions } from '../sessions/browser-sessions';
import { ReauthenticateDto } from './reauthenticate.dto';
import { SESSION_COOKIE_HEADER } from '../sessions/session-cookie';
import { SessionsService } from '../sessions/sessions.service';
import { Reauthentication } from './reauthentication.service';

class ReauthenticatedView {
  @ApiProperty({ type: UserView })
  user!: UserView;

  @ApiProperty({ description: 'Until when changes that need a recent sign-in are allowed.' })
  recentSignInUntil!: Date;
}

/** "Confirm it's you": a signed-in person proves it again before changing how the account is entered. */
@ApiTags('auth')
@Controller('auth')
export class ReauthenticationController {
  constructor(
    private readonly reauthentication: Reauthentication,
    private readonly browserSessions: BrowserSessions,
    private readonly sessions: SessionsService,
  ) {}

  @Post('reauthenticate')
  @HttpCode(200)
  @SignInThrottle()
  @ApiOperation({
    summary: "Confirm it's you with the account's password or one of its passkeys",
    description:
      'With two-step sign-in on, a code (`code`) or a recovery code (`recoveryCode`) is required with the password; an account without a password confirms with it alone. A passkey needs no code. A provider alone (GET /auth/{key}?reauth=1) does not confirm such an account.',
  })
  @ApiErrors(
    'WRONG_PASSWORD',
    'NO_PASSWORD',
    'INVALID_CREDENTIALS',
    'VALIDATION_FAILED',
    'SECOND_FACTOR_REQUIRED',
    'WRONG_CODE',
    'TOO_MANY_REQUESTS',
    'SIGN_IN_LOCKED',
    'BUSY',
  )
  @ApiOkResponse({
    type: ReauthenticatedView,
    headers: SESSION_COOKIE_HEADER,
    description: 'Confirmed: the session counts as recent, under a new session cookie.',
  })
  async reauthenticate(
    @CurrentAuth() auth: Auth,
    @Body() dto: ReauthenticateDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ReauthenticatedView> {
    const proof = await this.reauthentication.confirm(auth, dto);
    await this.browserSessions.renew(response, auth, { proof, securityEvent: true });
    return {
      user: toUserView(auth.user),
      recentSignInUntil: this.sessions.recentUntil(new Date()),
    };
  }
}
