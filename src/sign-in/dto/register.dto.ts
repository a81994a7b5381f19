import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsDisplayName,
  IsOptionalNotNull,
  IsProfileData,
  IsUsername,
} from '../../users/user-fields';
import { IsNewPassword, NEW_PASSWORD_DESCRIPTION } from '../methods/password/new-password';

export class RegisterDto {
  @ApiProperty({
    example: 'ada@example.com',
    description: 'Compared in any case; whitespace around is ignored.',
  })
  @IsAccountEmail()
  email!: string;

  @ApiProperty({ description: NEW_PASSWORD_DESCRIPTION })
  @IsNewPassword('password')
  password!: string;

  @ApiPropertyOptional({
    example: 'Ada Lovelace',
    description: '1–100 characters once trimmed, no control characters.',
  })
  @IsOptionalNotNull()
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({
    example: 'ada',
    description:
      '3–40 characters of a–z, 0–9, _ and -, in any case (stored lower-cased; whitespace around is ignored). Generated from the email when missing.',
  })
  @IsOptionalNotNull()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional({
    description:
      "Values of the profile fields (GET /profile-fields), by key, each of its field's type. Every required field needs one; unknown keys are refused.",
  })
  @IsOptionalNotNull()
  @IsProfileData('register')
  data?: Record<string, unknown>;
}
