import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNotNull, IsPasswordInput } from '../../users/user-fields';
import { SecondFactorFields } from '../two-step/dto/second-factor-fields';

export class ReauthenticateDto {
  @ApiPropertyOptional({
    description:
      "The account's password. Required, but for an account without a password that has two-step sign-in on (its code alone confirms).",
  })
  @IsOptionalNotNull()
  @IsPasswordInput('password')
  password?: string;

  /** With two-step sign-in on, a code or a recovery code is required as well. */
  @SecondFactorFields.code()
  code?: string;

  @SecondFactorFields.recoveryCode()
  recoveryCode?: string;
}
