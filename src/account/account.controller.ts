import { Body, Controller, Delete, Get, HttpCode, Patch, Put, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, AuthenticatedRequest, CurrentAuth } from '../sign-in/authenticated-request';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { RequireRecentSignIn } from '../sign-in/reauthentication/recent-sign-in.guard';
import { SESSION_COOKIE_HEADER, SessionCookie } from '../sign-in/sessions/session-cookie';
import { ApiErrors } from '../platform/http/api-errors.decorator';
import { SignInThrottle } from '../sign-in/limits/sign-in-throttle';
import { toUserView, UserEnvelope } from '../users/user.view';
import { AccountService, changesSignInName } from './account.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { DeleteAccountDto } from './dto/delete-account.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';

const changesEmailOrUsername = ({ auth, body }: AuthenticatedRequest) =>
  changesSignInName(auth.user, (body ?? {}) as Record<string, unknown>);

@ApiTags('account')
@Controller('me')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly browserSessions: BrowserSessions,
    private readonly cookie: SessionCookie,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in account' })
  @ApiOkResponse({ type: UserEnvelope })
  me(@CurrentAuth() { user }: Auth): UserEnvelope {
    return { user: toUserView(user) };
  }

  @Patch()
  @SignInThrottle()
  @RequireRecentSignIn(changesEmailOrUsername)
  @ApiOperation({ summary: 'Change the name, username, email or profile fields' })
  @ApiErrors('EMAIL_TAKEN', 'USERNAME_TAKEN', 'TOO_MANY_REQUESTS')
  @ApiOkResponse({
    type: UserEnvelope,
    description: 'Changing the email or username needs a recent sign-in; the name does not.',
  })
  @ApiAcceptedResponse({
    type: UserEnvelope,
    description:
      'A new email is `pendingEmail` until the link sent to it is used; the old address gets a notice with a way to cancel. One email change a minute: another is 429 TOO_MANY_REQUESTS with Retry-After, and nothing is changed.',
  })
  async updateProfile(
    @CurrentAuth() { user }: Auth,
    @Body() dto: UpdateProfileDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserEnvelope> {
    const update = await this.account.updateProfile(user, dto);
    if (update.emailChangePending) response.status(202);
    return { user: toUserView(update.user) };
  }

  @Put('password')
  @SignInThrottle()
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Change (or set) the password' })
  @ApiErrors('WEAK_PASSWORD', 'WRONG_PASSWORD', 'PASSWORD_CHANGED', 'SIGN_IN_LOCKED', 'BUSY')
  @ApiNoContentResponse({
    headers: SESSION_COOKIE_HEADER,
    description: 'Password changed; every other session is ended and this one gets a new cookie.',
  })
  async changePassword(
    @CurrentAuth() auth: Auth,
    @Body() dto: ChangePasswordDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.account.changePassword(auth, dto);
    await this.browserSessions.renew(response, auth, { securityEvent: true });
  }

  @Delete()
  @SignInThrottle()
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Delete the account' })
  @ApiErrors('WRONG_PASSWORD', 'LAST_ADMIN', 'SIGN_IN_LOCKED', 'BUSY')
  @ApiNoContentResponse({
    headers: SESSION_COOKIE_HEADER,
    description: 'The account and all its sessions are gone; the cookie is cleared.',
  })
  async deleteAccount(
    @CurrentAuth() auth: Auth,
    @Body() dto: DeleteAccountDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.account.deleteAccount(auth, dto.password);
    this.cookie.clear(response);
  }
}
