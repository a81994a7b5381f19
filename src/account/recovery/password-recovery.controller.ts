import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { Public } from '../../platform/http/public.decorator';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
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
  @ApiOperation({ summary: 'Mail a link to reset the password' })
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
  @ApiOperation({ summary: 'Set a new password with the link from the message' })
  @ApiNoContentResponse({
    description:
      'Password set; every session ended, a pending email change cancelled, the email verified.',
  })
  @ApiErrors('INVALID_TOKEN', 'WEAK_PASSWORD', 'BUSY')
  async reset(@Body() { token, newPassword }: ResetPasswordDto): Promise<void> {
    await this.recovery.reset(token, newPassword);
  }
}
