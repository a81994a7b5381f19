import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsDisplayName,
  IsOptionalNotNull,
  IsOptionalNullable,
  IsUsername,
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
}
