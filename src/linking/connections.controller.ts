import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentAuth } from '../auth/authenticated-request';
import { RequireRecentSignIn } from '../auth/recent-sign-in.guard';
import { ErrorBody } from '../common/error-body';
import { SignInThrottle } from '../common/sign-in-throttle';
import { ConnectionsView } from './connections.view';
import { LinkingService } from './linking.service';

@ApiTags('account')
@Controller('me')
export class ConnectionsController {
  constructor(private readonly linking: LinkingService) {}

  @Get('connections')
  @ApiOkResponse({ type: ConnectionsView })
  connections(@CurrentAuth() { user }: Auth): ConnectionsView {
    return this.linking.connections(user);
  }

  @Delete('connections/:provider')
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiNoContentResponse({
    description: 'Disconnected; other sessions that signed in through it are ended.',
  })
  @ApiConflictResponse({
    type: ErrorBody,
    description: 'LAST_LOGIN_METHOD: it is the only way to sign in.',
  })
  unlink(@CurrentAuth() auth: Auth, @Param('provider') key: string): Promise<void> {
    return this.linking.unlink(auth, key);
  }

  @Delete('password')
  @SignInThrottle()
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiNoContentResponse({
    description: 'The password is removed; other sessions that signed in with it are ended.',
  })
  @ApiConflictResponse({
    type: ErrorBody,
    description: 'LAST_LOGIN_METHOD: it is the only way to sign in.',
  })
  removePassword(@CurrentAuth() auth: Auth): Promise<void> {
    return this.linking.removePassword(auth);
  }
}
