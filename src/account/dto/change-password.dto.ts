import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNotNull, IsPasswordInput } from '../../users/user-fields';

export class ChangePasswordDto {
  @ApiPropertyOptional({
    description:
      'Required when the account has a password. An account without one may set it within a few minutes of signing in.',
  })
  @IsOptionalNotNull()
  @IsPasswordInput('currentPassword')
  currentPassword?: string;

  @ApiProperty({
    description:
      'At least 15 characters by default, at most 128; any characters. Refused when in the list of common or breached passwords, or when it contains the email, the part of it before the @, or the username.',
  })
  @IsPasswordInput('newPassword')
  newPassword!: string;
}
