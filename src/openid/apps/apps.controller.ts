import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { AppsView } from './app.view';
import { AppsWithAccess } from './apps-with-access';

/**
 * The apps that sign the account in through this service (as their OpenID provider) and hold a
 * grant of it. Removing one takes away an access the account gave, so it needs a recent sign-in,
 * like the account's other sensitive changes.
 */
@ApiTags('account')
@Controller('me/apps')
export class AppsController {
  constructor(private readonly apps: AppsWithAccess) {}

  @Get()
  @ApiOperation({ summary: 'The apps with access to the account' })
  @ApiOkResponse({
    type: AppsView,
    description:
      'The apps holding a grant of the account (first-party ones too), newest first, with what they may see and when they last got a token.',
  })
  async list(@CurrentAuth() { user }: Auth): Promise<AppsView> {
    return { apps: await this.apps.list(user._id) };
  }

  @Delete(':clientId')
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiOperation({ summary: "Remove an app's access" })
  @ApiParam({ name: 'clientId', description: 'The `clientId` of an app from GET /me/apps.' })
  @ApiNoContentResponse({
    description:
      "The app's grants are revoked, with every code, access and refresh token issued under them: its tokens stop working, and its next sign-in asks for consent again (an app of another party).",
  })
  @ApiErrors('APP_NOT_FOUND')
  async revoke(@CurrentAuth() { user }: Auth, @Param('clientId') clientId: string): Promise<void> {
    await this.apps.revoke(user._id, clientId);
  }
}
