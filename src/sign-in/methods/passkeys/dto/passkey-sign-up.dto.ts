import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsOptionalNotNull,
  IsProfileData,
  IsUsername,
} from '../../../../users/user-fields';

/** The account a passkey sign-up will create (POST /auth/register/passkey/options). */
export class PasskeySignUpDto {
  @ApiProperty({
    example: 'ada@example.com',
    description: 'Compared in any case; whitespace around is ignored. It gets a verification link.',
  })
  @IsAccountEmail()
  email!: string;

  @ApiPropertyOptional({
    example: 'ada',
    description:
      '3–40 characters of a–z, 0–9, _ and -, in any case (stored lower-cased). Generated from the email when missing.',
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
