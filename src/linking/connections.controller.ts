import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentAuth } from '../auth/authenticated-request';
import { RequireRecentSignIn } from '../auth/recent-sign-in.guard';
import { ApiErrors } from '../common/api-errors.decorator';
import { SignInThrottle } from '../common/sign-in-throttle';
import { ConnectionsView } from './connections.view';
import { LinkingService } from './linking.service';

@ApiTags('account')
@Controller('me')
export class ConnectionsController {
  constructor(private readonly linking: LinkingService) {}

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
    description: 'The password is removed; other sessions that signed in with it are ended.',
  })
  @ApiErrors('NO_PASSWORD', 'LAST_LOGIN_METHOD')
  removePassword(@CurrentAuth() auth: Auth): Promise<void> {
    return this.linking.removePassword(auth);
  }
}
