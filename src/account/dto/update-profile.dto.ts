import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsAccountEmail,
  IsDisplayName,
  IsOptionalNotNull,
  IsUsername,
} from '../../common/dto-decorators';

export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace' })
  @IsOptionalNotNull()
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ example: 'ada' })
  @IsOptionalNotNull()
  @IsUsername()
  username?: string;

  @ApiPropertyOptional({ example: 'ada@example.com' })
  @IsOptionalNotNull()
  @IsAccountEmail()
  email?: string;
}
