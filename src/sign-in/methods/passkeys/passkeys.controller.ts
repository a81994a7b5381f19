import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { ApiErrors } from '../../../platform/http/api-errors.decorator';
import { Auth, CurrentAuth } from '../../authenticated-request';
import { SignInThrottle } from '../../limits/sign-in-throttle';
import { RequireRecentSignIn } from '../../reauthentication/recent-sign-in.guard';
import { NewPasskeyDto, RenamePasskeyDto } from './dto/passkey-response.dto';
import { PasskeyEnvelope, PasskeyList, toPasskeyView } from './passkey.view';
import { PasskeysService } from './passkeys.service';

/** The options of a ceremony, for the browser's WebAuthn call as they are. */
export const OPTIONS_SCHEMA = { type: 'object', additionalProperties: true } as const;

const ID_PARAM = { name: 'id', description: "A passkey's id (GET /me/passkeys)." };

@ApiTags('account')
@Controller('me/passkeys')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Post('options')
  @HttpCode(200)
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Options to create a passkey for this account' })
  @ApiOkResponse({
    schema: OPTIONS_SCHEMA,
    description:
      "PublicKeyCredentialCreationOptions as JSON, for navigator.credentials.create() (PublicKeyCredential.parseCreationOptionsFromJSON). They exclude the account's passkeys and work once, for 5 minutes.",
  })
  @ApiErrors('PASSKEY_LIMIT_REACHED')
  creationOptions(@CurrentAuth() { user }: Auth): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.creationOptions(user);
  }

  @Post()
  @SignInThrottle()
  @RequireRecentSignIn()
  @ApiOperation({
    summary: 'Add a passkey: the response to the options of POST /me/passkeys/options',
  })
  @ApiCreatedResponse({
    type: PasskeyEnvelope,
    description: 'Added; the verified address is told.',
  })
  @ApiErrors('PASSKEY_REJECTED', 'PASSKEY_ALREADY_REGISTERED', 'PASSKEY_LIMIT_REACHED')
  async add(@CurrentAuth() { user }: Auth, @Body() dto: NewPasskeyDto): Promise<PasskeyEnvelope> {
    const passkey = await this.passkeys.add(user, dto.response, dto.name);
    return { passkey: toPasskeyView(passkey) };
  }

  @Get()
  @ApiOperation({ summary: "The account's passkeys" })
  @ApiOkResponse({ type: PasskeyList })
  list(@CurrentAuth() { user }: Auth): PasskeyList {
    return { passkeys: this.passkeys.list(user).map(toPasskeyView) };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a passkey' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: PasskeyEnvelope })
  @ApiErrors('PASSKEY_NOT_FOUND')
  async rename(
    @CurrentAuth() { user }: Auth,
    @Param('id') id: string,
    @Body() dto: RenamePasskeyDto,
  ): Promise<PasskeyEnvelope> {
    return { passkey: toPasskeyView(await this.passkeys.rename(user, id, dto.name)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRecentSignIn()
  @ApiOperation({ summary: 'Remove a passkey (when another way in remains)' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({
    description:
      "Removed; the account's other sessions that signed in with it end, and the verified address is told.",
  })
  @ApiErrors('PASSKEY_NOT_FOUND', 'LAST_LOGIN_METHOD')
  remove(@CurrentAuth() auth: Auth, @Param('id') id: string): Promise<void> {
    return this.passkeys.remove(auth, id);
  }
}
