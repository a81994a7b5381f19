import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { BrowserSessions } from '../../sign-in/sessions/browser-sessions';
import { Public } from '../../platform/http/public.decorator';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { TokenDto } from './dto/token.dto';
import { EmailVerification } from './email-verification.service';

class VerifiedView {
  @ApiProperty({ example: 'ada@example.com', description: 'The address now confirmed.' })
  email!: string;

  @ApiProperty({
    description:
      "The link was used outside the account's own sessions, so they all ended: sign in again.",
  })
  signedOut!: boolean;
}

class LinkSentView {
  @ApiProperty({ example: 'ada@example.com', description: 'Where the link went.' })
  sentTo!: string;
}

/** The links sent by email that prove an address: verification, email change, and its cancellation. */
@ApiTags('email')
@Controller()
export class EmailVerificationController {
  constructor(
    private readonly verification: EmailVerification,
    private readonly browserSessions: BrowserSessions,
  ) {}

  @Post('auth/email/verify')
  @Public({ readsSession: true })
  @SignInThrottle()
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm an email address with the link from the message' })
  @ApiOkResponse({
    type: VerifiedView,
    description:
      'The address is confirmed (or the email change applied). An email change whose address another account registered, verified or was given since is void: 409 EMAIL_TAKEN, nothing changes.',
  })
  @ApiErrors('INVALID_TOKEN', 'EMAIL_TAKEN')
  async verify(@Body() { token }: TokenDto, @Req() request: Request): Promise<VerifiedView> {
    const current = await this.browserSessions.authenticate(request);
    const { user, signedOut } = await this.verification.verify(token, current);
    return { email: user.email!, signedOut };
  }

  @Post('me/email/verification')
  @SignInThrottle()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the confirmation link again' })
  @ApiAcceptedResponse({
    type: LinkSentView,
    description:
      'The link is on its way again: for a pending email change to the new address, else to the unconfirmed email. At most once a minute (429).',
  })
  @ApiErrors('NOTHING_TO_VERIFY', 'TOO_MANY_REQUESTS')
  async resend(@CurrentAuth() auth: Auth): Promise<LinkSentView> {
    const user = await this.verification.resend(auth);
    return { sentTo: (user.pendingEmail ?? user.email)! };
  }

  @Post('auth/email/change/cancel')
  @Public()
  @SignInThrottle()
  @HttpCode(204)
  @ApiOperation({ summary: 'Cancel an email change with the link sent to the old address' })
  @ApiNoContentResponse({
    description: 'The pending email change is dropped.',
  })
  @ApiErrors('INVALID_TOKEN')
  async cancelChange(@Body() { token }: TokenDto): Promise<void> {
    await this.verification.cancelChange(token);
  }
}
