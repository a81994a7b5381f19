import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { SignInThrottle } from '../limits/sign-in-throttle';
import { toUserView, UserView } from '../../users/user.view';
import { Auth, CurrentAuth } from '../authenticated-request';
import { AuthService } from '../auth.service';
import { BrowserSessions } from '../sessions/browser-sessions';
import { ReauthenticateDto } from './reauthenticate.dto';
import { SESSION_COOKIE_HEADER } from '../sessions/session-cookie';
import { SessionsService } from '../sessions/sessions.service';
import { AppError } from '../../platform/http/app-error';
import { PasskeyCeremonies } from '../methods/passkeys/passkey-ceremonies';

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
    private readonly auth: AuthService,
    private readonly browserSessions: BrowserSessions,
    private readonly sessions: SessionsService,
    private readonly passkeys: PasskeyCeremonies,
  ) {}

  @Post('reauthenticate')
  @HttpCode(200)
  @SignInThrottle()
  @ApiOperation({ summary: "Confirm it's you with the account's password or one of its passkeys" })
  @ApiErrors(
    'WRONG_PASSWORD',
    'NO_PASSWORD',
    'INVALID_CREDENTIALS',
    'VALIDATION_FAILED',
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
    const method = await this.confirm(auth, dto);
    await this.browserSessions.renew(response, auth, { proof: { method }, securityEvent: true });
    return {
      user: toUserView(auth.user),
      recentSignInUntil: this.sessions.recentUntil(new Date()),
    };
  }

  /** Checks the one proof given; returns how it proved who this is. */
  private async confirm(auth: Auth, dto: ReauthenticateDto): Promise<'password' | 'passkey'> {
    if (dto.passkey !== undefined && dto.password !== undefined) {
      throw new AppError(
        'VALIDATION_FAILED',
        'Give either password or passkey, not both.',
        'passkey',
      );
    }
    if (dto.passkey === undefined) {
      await this.auth.confirmPassword(auth.user, dto.password!, 'password');
      return 'password';
    }
    const { user } = await this.passkeys.verifyAssertion(dto.passkey, 'passkey');
    if (!user._id.equals(auth.user._id)) {
      throw new AppError(
        'INVALID_CREDENTIALS',
        'That passkey is not one of this account’s.',
        'passkey',
      );
    }
    return 'passkey';
  }
}
