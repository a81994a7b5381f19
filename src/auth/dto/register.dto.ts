import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsDisplayName,
  IsOptionalNotNull,
  IsPasswordInput,
  IsProfileData,
  IsUsername,
  PROFILE_DATA_SCHEMA,
} from '../../users/user-fields';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsAccountEmail()
  email!: string;

  @ApiProperty({
    description:
      'At least 15 characters by default, at most 128; any characters. Refused when in the list of common or breached passwords, or when it contains the email, the part of it before the @, or the username.',
  })
  @IsPasswordInput('password')
  password!: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  @IsOptionalNotNull()
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ example: 'ada', description: 'Generated from the email when missing.' })
  @IsOptionalNotNull()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional({
    ...PROFILE_DATA_SCHEMA,
    description:
      "Values of the profile fields (GET /profile-fields), by key, each of its field's type. Every required field needs one; unknown keys are refused.",
  })
  @IsOptionalNotNull()
  @IsProfileData()
  data?: Record<string, unknown>;
}
