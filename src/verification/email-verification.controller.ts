import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { Auth, CurrentAuth } from '../auth/authenticated-request';
import { BrowserSessions } from '../auth/browser-sessions';
import { Public } from '../common/public.decorator';
import { SignInThrottle } from '../common/sign-in-throttle';
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
  @Public()
  @SignInThrottle()
  @HttpCode(200)
  @ApiOkResponse({
    type: VerifiedView,
    description:
      'The address is confirmed (or the email change applied). 400 INVALID_TOKEN for a used, expired or replaced link; 409 EMAIL_TAKEN if the new address was taken meanwhile.',
  })
  async verify(@Body() { token }: TokenDto, @Req() request: Request): Promise<VerifiedView> {
    const current = await this.browserSessions.authenticate(request);
    const { user, signedOut } = await this.verification.verify(token, current);
    return { email: user.email!, signedOut };
  }

  @Post('me/email/verification')
  @SignInThrottle()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: LinkSentView,
    description:
      'The link is on its way again: for a pending email change to the new address, else to the unconfirmed email. 409 NOTHING_TO_VERIFY; 429 when asked again within a minute.',
  })
  async resend(@CurrentAuth() auth: Auth): Promise<LinkSentView> {
    const user = await this.verification.resend(auth);
    return { sentTo: (user.pendingEmail ?? user.email)! };
  }

  @Post('auth/email/change/cancel')
  @Public()
  @SignInThrottle()
  @HttpCode(204)
  @ApiNoContentResponse({
    description:
      'The link in the notice to the old address: the pending email change is dropped. 400 INVALID_TOKEN.',
  })
  async cancelChange(@Body() { token }: TokenDto): Promise<void> {
    await this.verification.cancelChange(token);
  }
}
