import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { Auth, CurrentAuth } from '../auth/authenticated-request';
import { RequireRecentSignIn } from '../auth/recent-sign-in.guard';
import { SignInThrottle } from '../common/sign-in-throttle';
import { FlowCookie } from './flow-cookie';
import { SocialAuthService } from './social-auth.service';

export class ConnectDto {
  @ApiPropertyOptional({
    description: 'Where to land afterwards (default /settings); as for GET /auth/{key}.',
  })
  @IsOptional()
  @IsString({ message: 'returnTo must be a string' })
  @MaxLength(2048, { message: 'returnTo must be at most 2048 characters' })
  returnTo?: string;
}

class ConnectStartView {
  @ApiProperty({ description: "The provider's authorization URL: send the browser there." })
  redirect!: string;
}

/** Connecting a provider to the signed-in account: only ever started by an explicit, recent request. */
@ApiTags('account')
@Controller('me/connections')
export class ConnectController {
  constructor(
    private readonly social: SocialAuthService,
    private readonly flowCookie: FlowCookie,
  ) {}

  @Post(':provider')
  @HttpCode(200)
  @SignInThrottle()
  @RequireRecentSignIn()
  @ApiOkResponse({
    type: ConnectStartView,
    description:
      'Send the browser to `redirect`; the provider is linked when it comes back, in this same browser and session.',
  })
  async connect(
    @CurrentAuth() auth: Auth,
    @Param('provider') key: string,
    @Body() dto: ConnectDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ConnectStartView> {
    const redirect = await this.social.start(key, {
      purpose: 'link',
      auth,
      returnTo: dto.returnTo,
      browserSecret: this.flowCookie.issue(response),
    });
    return { redirect };
  }
}
