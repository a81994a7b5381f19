import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsNewPassword,
  NEW_PASSWORD_DESCRIPTION,
} from '../../sign-in/methods/password/new-password';
import { IsOptionalNotNull, IsPasswordInput } from '../../users/user-fields';

export class ChangePasswordDto {
  @ApiPropertyOptional({
    description:
      'Required when the account has a password. An account without one may set it within a few minutes of signing in.',
  })
  @IsOptionalNotNull()
  @IsPasswordInput('currentPassword')
  currentPassword?: string;

  @ApiProperty({ description: NEW_PASSWORD_DESCRIPTION })
  @IsNewPassword('newPassword')
  newPassword!: string;
}
