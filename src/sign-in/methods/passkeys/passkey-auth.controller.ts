import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../../platform/http/api-errors.decorator';
import { Public } from '../../../platform/http/public.decorator';
import { toUserView, UserEnvelope } from '../../../users/user.view';
import { SignInThrottle } from '../../limits/sign-in-throttle';
import { BrowserSessions } from '../../sessions/browser-sessions';
import { SESSION_COOKIE_HEADER } from '../../sessions/session-cookie';
import { SignInRecord } from '../../sign-in-record';
import { SignInService } from '../../sign-in.service';
import { NewPasskeyDto, PasskeyAssertionDto } from './dto/passkey-response.dto';
import { PasskeySignUpDto } from './dto/passkey-sign-up.dto';
import { PasskeyCeremonies } from './passkey-ceremonies';
import { PasskeySignIn } from './passkey-sign-in.service';
import { OPTIONS_SCHEMA } from './passkeys.controller';

@ApiTags('auth')
@Public()
@Controller('auth')
export class PasskeyAuthController {
  constructor(
    private readonly ceremonies: PasskeyCeremonies,
    private readonly passkeys: PasskeySignIn,
    private readonly signIn: SignInService,
    private readonly sessions: BrowserSessions,
  ) {}

  @Post('passkey/options')
  @HttpCode(200)
  @SignInThrottle()
  @ApiOperation({ summary: 'Options to sign in (or confirm it is you) with a passkey' })
  @ApiOkResponse({
    schema: OPTIONS_SCHEMA,
    description:
      'PublicKeyCredentialRequestOptions as JSON, for navigator.credentials.get(): no credential list (passkeys are discoverable), user verification required. They work once, for 5 minutes.',
  })
  requestOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.ceremonies.requestOptions();
  }

  @Post('passkey')
  @HttpCode(200)
  @SignInThrottle()
  @ApiOperation({ summary: 'Sign in with a passkey' })
  @ApiOkResponse({
    type: UserEnvelope,
    headers: SESSION_COOKIE_HEADER,
    description: 'Signed in: a session cookie is set.',
  })
  @ApiErrors('INVALID_CREDENTIALS', 'ACCOUNT_DISABLED')
  async signInWithPasskey(
    @Body() dto: PasskeyAssertionDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserEnvelope> {
    const proved = await this.passkeys.verify(dto.response);
    return this.complete(proved, request, response);
  }

  @Post('register/passkey/options')
  @HttpCode(200)
  @SignInThrottle()
  @ApiOperation({ summary: 'Options to create the passkey of a new account' })
  @ApiOkResponse({
    schema: OPTIONS_SCHEMA,
    description:
      'PublicKeyCredentialCreationOptions as JSON, for navigator.credentials.create(). They work once, for 5 minutes.',
  })
  @ApiErrors('EMAIL_TAKEN', 'USERNAME_TAKEN')
  signUpOptions(@Body() dto: PasskeySignUpDto): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.signUpOptions(dto);
  }

  @Post('register/passkey')
  @SignInThrottle()
  @ApiOperation({ summary: 'Create an account with a passkey instead of a password, and sign in' })
  @ApiCreatedResponse({
    type: UserEnvelope,
    headers: SESSION_COOKIE_HEADER,
    description:
      'Created and signed in: a session cookie is set. The email gets a verification link.',
  })
  @ApiErrors('PASSKEY_REJECTED', 'PASSKEY_ALREADY_REGISTERED', 'EMAIL_TAKEN', 'USERNAME_TAKEN')
  async signUp(
    @Body() dto: NewPasskeyDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UserEnvelope> {
    return this.complete(await this.passkeys.signUp(dto.response, dto.name), request, response);
  }

  private async complete(
    proved: SignInRecord,
    request: Request,
    response: Response,
  ): Promise<UserEnvelope> {
    const outcome = await this.signIn.complete(proved, this.sessions.signInClient(request));
    // A passkey is two factors by itself: two-step sign-in asks for nothing more.
    const signedIn = this.sessions.signedInOrSecondStep(response, outcome);
    return { user: toUserView(signedIn.user) };
  }
}
