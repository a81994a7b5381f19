import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsDisplayName,
  IsOptionalNotNull,
  IsOptionalNullable,
  IsProfileData,
  IsUsername,
} from '../../users/user-fields';

export class UpdateProfileDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'Ada Lovelace',
    description: '1–100 characters once trimmed, no control characters; null clears the name.',
  })
  @IsOptionalNullable()
  @IsDisplayName()
  name?: string | null;

  @ApiPropertyOptional({
    example: 'ada',
    description:
      '3–40 characters of a–z, 0–9, _ and -, in any case (stored lower-cased). Needs a recent sign-in.',
  })
  @IsOptionalNotNull()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional({
    example: 'ada@example.com',
    description:
      'Needs a recent sign-in; pending (202) until the link sent to it is used, unless unchanged.',
  })
  @IsOptionalNotNull()
  @IsAccountEmail()
  email?: string;

  @ApiPropertyOptional({
    description:
      'Profile field values to change (GET /profile-fields): only the keys given change, and null removes an optional value.',
  })
  @IsOptionalNotNull()
  @IsProfileData('update')
  data?: Record<string, unknown>;
}
