import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../platform/http/api-errors.decorator';
import { AdminAccess, AdminChange } from './admin-access';
import { AdminCaller, CurrentAdminCaller } from './admin-caller';
import {
  AdminUserDetailEnvelope,
  AdminUserEnvelope,
  AdminUserPage,
  toAdminUserView,
} from './admin-user.view';
import { AdminUsersService } from './admin-users.service';
import { SearchUsersDto } from './dto/search-users.dto';
import { UpdateUserDto } from './dto/update-user.dto';

class PasswordResetSent {
  @ApiProperty({ example: 'ada@example.com', description: 'Where the link went.' })
  sentTo!: string;
}

const ID = { name: 'id', description: "The account's id (`user.id`)." };

/** The admin API's accounts: find, look at, change, disable, delete. */
@ApiTags('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @AdminAccess('users:read')
  @ApiOperation({
    summary: 'Find accounts',
    description:
      'By the start of an email, username, name or a word of the name (case and accents ignored), or a provider subject (exactly); newest first, with the total.',
  })
  @ApiOkResponse({ type: AdminUserPage })
  async search(@Query() dto: SearchUsersDto): Promise<AdminUserPage> {
    const found = await this.admin.search({
      query: dto.query,
      page: dto.page ?? 1,
      limit: dto.limit ?? 20,
    });
    return { ...found, users: found.users.map(toAdminUserView) };
  }

  @Get(':id')
  @AdminAccess('users:read')
  @ApiOperation({ summary: 'An account, with its identities, state and session count' })
  @ApiParam(ID)
  @ApiOkResponse({ type: AdminUserDetailEnvelope })
  @ApiErrors('NOT_FOUND')
  async get(@Param('id') id: string): Promise<AdminUserDetailEnvelope> {
    const { user, sessionCount } = await this.admin.get(id);
    return { user: { ...toAdminUserView(user), sessionCount } };
  }

  @Patch(':id')
  @AdminAccess('users:write')
  @AdminChange()
  @ApiOperation({
    summary: 'Change an account',
    description:
      'Only the fields given change; `data` merges (null removes a key). A new email is set at once. `disabled: true` ends its sessions and its apps’ tokens.',
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: AdminUserEnvelope })
  @ApiErrors('NOT_FOUND', 'EMAIL_TAKEN', 'USERNAME_TAKEN', 'LAST_ADMIN')
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateUserDto,
    @CurrentAdminCaller() caller: AdminCaller,
  ): Promise<AdminUserEnvelope> {
    return { user: toAdminUserView(await this.admin.update(id, dto, caller)) };
  }

  @Delete(':id')
  @AdminAccess('users:write')
  @AdminChange()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an account',
    description:
      'As its owner would: its sessions end, its apps’ tokens are revoked, a notice is sent.',
  })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors('NOT_FOUND', 'LAST_ADMIN')
  delete(@Param('id') id: string, @CurrentAdminCaller() caller: AdminCaller): Promise<void> {
    return this.admin.delete(id, caller);
  }

  @Delete(':id/identities/:provider')
  @AdminAccess('users:write')
  @AdminChange()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Disconnect a provider from an account',
    description:
      'Under the never-lock-out rule; the sessions that signed in through it end, and the owner is told.',
  })
  @ApiParam(ID)
  @ApiParam({ name: 'provider', description: 'The provider key, as in `identities[].provider`.' })
  @ApiNoContentResponse({ description: 'Disconnected.' })
  @ApiErrors('NOT_FOUND', 'NOT_LINKED', 'LAST_LOGIN_METHOD')
  unlinkIdentity(
    @Param('id') id: string,
    @Param('provider') provider: string,
    @CurrentAdminCaller() caller: AdminCaller,
  ): Promise<void> {
    return this.admin.unlinkIdentity(id, provider, caller);
  }

  @Delete(':id/two-step')
  @AdminAccess('admin')
  @AdminChange()
  @HttpCode(204)
  @ApiOperation({
    summary: "Turn an account's two-step sign-in off",
    description:
      'For an owner who lost both the authenticator app and the recovery codes (a password reset by email does not turn it off). Audited (`two_step.disabled` with `details.byAdmin`), and the owner is told by mail.',
  })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Off: signing in asks for no code.' })
  @ApiErrors('NOT_FOUND', 'TWO_STEP_NOT_ENABLED')
  turnOffTwoStep(
    @Param('id') id: string,
    @CurrentAdminCaller() caller: AdminCaller,
  ): Promise<void> {
    return this.admin.turnOffTwoStep(id, caller);
  }

  @Post(':id/sessions/revoke')
  @AdminAccess('users:write')
  @HttpCode(204)
  @ApiOperation({
    summary: "End every session of an account, and revoke its apps' tokens",
  })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Every session ended.' })
  @ApiErrors('NOT_FOUND')
  revokeSessions(
    @Param('id') id: string,
    @CurrentAdminCaller() caller: AdminCaller,
  ): Promise<void> {
    return this.admin.revokeSessions(id, caller);
  }

  @Post(':id/password-reset')
  @AdminAccess('users:write')
  @HttpCode(202)
  @ApiOperation({
    summary: "Mail a password recovery link to the account's address",
    description:
      'The same link as POST /auth/password/forgot sends; the password changes only when it is used.',
  })
  @ApiParam(ID)
  @ApiAcceptedResponse({ type: PasswordResetSent })
  @ApiErrors('NOT_FOUND', 'NO_EMAIL')
  sendPasswordReset(
    @Param('id') id: string,
    @CurrentAdminCaller() caller: AdminCaller,
  ): Promise<PasswordResetSent> {
    return this.admin.sendPasswordReset(id, caller);
  }
}
