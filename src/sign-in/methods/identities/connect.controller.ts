import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsString } from 'class-validator';
import type { Response } from 'express';
import { Auth, CurrentAuth } from '../../authenticated-request';
import { RequireRecentSignIn } from '../../reauthentication/recent-sign-in.guard';
import { ApiErrors } from '../../../platform/http/api-errors.decorator';
import { SignInThrottle } from '../../limits/sign-in-throttle';
import { HasLength, IsOptionalNotNull } from '../../../users/user-fields';
import { FlowCookie } from './flow-cookie';
import { SocialAuthService } from './social-auth.service';

const RETURN_TO_MAX_LENGTH = 2048;

export class ConnectDto {
  @ApiPropertyOptional({
    maxLength: RETURN_TO_MAX_LENGTH,
    description: 'Where to land afterwards (default /settings); as for GET /auth/{key}.',
  })
  @IsOptionalNotNull()
  @IsString({ message: 'returnTo must be a string' })
  @HasLength(0, RETURN_TO_MAX_LENGTH, `returnTo must be at most ${RETURN_TO_MAX_LENGTH} characters`)
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
  @ApiOperation({ summary: 'Start connecting a provider to the account' })
  @ApiParam({ name: 'provider', description: 'A provider key (GET /auth/providers).' })
  @ApiErrors('UNKNOWN_PROVIDER', 'PROVIDER_ERROR', 'PROVIDER_UNAVAILABLE')
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
