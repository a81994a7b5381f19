import { Body, Controller, Delete, Get, HttpCode, Patch, Put, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentAuth } from '../auth/authenticated-request';
import { SessionCookie } from '../auth/session-cookie';
import { SignInThrottle } from '../common/sign-in-throttle';
import { toUserView, UserEnvelope } from '../users/user.view';
import { AccountService } from './account.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { DeleteAccountDto } from './dto/delete-account.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';

@ApiTags('account')
@Controller('me')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly cookie: SessionCookie,
  ) {}

  @Get()
  @ApiOkResponse({ type: UserEnvelope })
  me(@CurrentAuth() { user }: Auth): UserEnvelope {
    return { user: toUserView(user) };
  }

  @Patch()
  @SignInThrottle()
  @ApiOkResponse({ type: UserEnvelope })
  async updateProfile(
    @CurrentAuth() { user }: Auth,
    @Body() dto: UpdateProfileDto,
  ): Promise<UserEnvelope> {
    return { user: toUserView(await this.account.updateProfile(user, dto)) };
  }

  @Put('password')
  @SignInThrottle()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password changed; every other session is ended.' })
  changePassword(@CurrentAuth() auth: Auth, @Body() dto: ChangePasswordDto): Promise<void> {
    return this.account.changePassword(auth, dto);
  }

  @Delete()
  @SignInThrottle()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The account and all its sessions are gone.' })
  async deleteAccount(
    @CurrentAuth() auth: Auth,
    @Body() dto: DeleteAccountDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.account.deleteAccount(auth, dto.password);
    this.cookie.clear(response);
  }
}
