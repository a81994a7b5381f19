import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../users/user-fields';
import { IsQueryInteger } from './page-number';

export class SearchUsersDto {
  @ApiPropertyOptional({
    example: 'ada',
    description:
      'Part of an email, username or name (any case), or a provider subject (exactly). Empty or absent: every account.',
  })
  @IsOptionalNotNull()
  @IsString({ message: 'query must be a string' })
  @MaxLength(254, { message: 'query must be at most 254 characters' })
  query?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100000, default: 1 })
  @IsOptionalNotNull()
  @IsQueryInteger('page', 1, 100000)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptionalNotNull()
  @IsQueryInteger('limit', 1, 100)
  limit?: number;
}
