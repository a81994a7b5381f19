import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/public.decorator';
import { SignInThrottle } from '../common/sign-in-throttle';
import { ForgotPasswordDto } from './dto/forgot-password.dto';
import { ResetPasswordDto } from './dto/reset-password.dto';
import { PasswordRecovery } from './password-recovery.service';

class RecoveryRequestedView {
  @ApiProperty({
    example: 'If an account has this email address, a link to reset its password is on its way.',
  })
  message!: string;
}

const REQUESTED: RecoveryRequestedView = {
  message: 'If an account has this email address, a link to reset its password is on its way.',
};

@ApiTags('auth')
@Public()
@Controller('auth/password')
export class PasswordRecoveryController {
  constructor(private readonly recovery: PasswordRecovery) {}

  @Post('forgot')
  @SignInThrottle()
  @HttpCode(202)
  @ApiAcceptedResponse({
    type: RecoveryRequestedView,
    description:
      'Always the same answer, in the same time, whether or not an account has the address. An account gets at most one link a minute.',
  })
  forgot(@Body() { email }: ForgotPasswordDto): RecoveryRequestedView {
    this.recovery.requestLink(email);
    return REQUESTED;
  }

  @Post('reset')
  @SignInThrottle()
  @HttpCode(204)
  @ApiNoContentResponse({
    description:
      'Password set; every session ended, a pending email change cancelled, the email verified. 400 INVALID_TOKEN, 400 WEAK_PASSWORD.',
  })
  async reset(@Body() { token, newPassword }: ResetPasswordDto): Promise<void> {
    await this.recovery.reset(token, newPassword);
  }
}
