import { Controller, Delete, Get, HttpCode, Param, Res } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentAuth } from '../../../authenticated-request';
import { BrowserSessions } from '../../../sessions/browser-sessions';
import { RequireRecentSignIn } from '../../../reauthentication/recent-sign-in.guard';
import { SESSION_COOKIE_HEADER } from '../../../sessions/session-cookie';
import { ApiErrors } from '../../../../platform/http/api-errors.decorator';
import { SignInThrottle } from '../../../limits/sign-in-throttle';
import { ConnectionsView } from './connections.view';
import { LinkingService } from './linking.service';

@ApiTags('account')
@Controller('me')
export class ConnectionsController {
  constructor(
    private readonly linking: LinkingService,
    private readonly browserSessions: BrowserSessions,
  ) {}

  @Get('connections')
  @ApiOperation({ summary: 'The providers, which are connected, and the password' })
  @ApiOkResponse({ type: ConnectionsView })
  connections(@CurrentAuth() { user }: Auth): ConnectionsView {
    return this.linking.connections(user);
  }

  @Delete('connections/:provider')
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Disconnect a provider' })
  @ApiParam({ name: 'provider', description: 'A provider key (GET /auth/providers).' })
  @ApiNoContentResponse({
    description: 'Disconnected; other sessions that signed in through it are ended.',
  })
  @ApiErrors('NOT_LINKED', 'UNKNOWN_PROVIDER', 'LAST_LOGIN_METHOD')
  unlink(@CurrentAuth() auth: Auth, @Param('provider') key: string): Promise<void> {
    return this.linking.unlink(auth, key);
  }

  @Delete('password')
  @SignInThrottle()
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Remove the password (when a provider remains)' })
  @ApiNoContentResponse({
    headers: SESSION_COOKIE_HEADER,
    description:
      'The password is removed; other sessions that signed in with it are ended, and this one gets a new cookie.',
  })
  @ApiErrors('NO_PASSWORD', 'LAST_LOGIN_METHOD')
  async removePassword(
    @CurrentAuth() auth: Auth,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.linking.removePassword(auth);
    await this.browserSessions.renew(response, auth, { securityEvent: true });
  }
}
