import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsDisplayName,
  IsOptionalNotNull,
  IsOptionalNullable,
  IsProfileData,
  IsUsername,
  PROFILE_DATA_SCHEMA,
} from '../../users/user-fields';

export class UpdateProfileDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'Ada Lovelace',
    description: 'null clears the name.',
  })
  @IsOptionalNullable()
  @IsDisplayName()
  name?: string | null;

  @ApiPropertyOptional({ example: 'ada' })
  @IsOptionalNotNull()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptionalNotNull()
  @IsAccountEmail()
  email?: string;

  @ApiPropertyOptional({
    ...PROFILE_DATA_SCHEMA,
    description:
      'Profile field values to change (GET /profile-fields): only the keys given change, and null removes an optional value.',
  })
  @IsOptionalNotNull()
  @IsProfileData()
  data?: Record<string, unknown>;
}
