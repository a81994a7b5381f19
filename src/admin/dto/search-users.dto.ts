import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { IsQueryInteger } from '../../platform/http/query-integer';
import { HasLength, IsOptionalNotNull } from '../../users/user-fields';

export const SEARCH_QUERY_MAX_LENGTH = 254;

export class SearchUsersDto {
  @ApiPropertyOptional({
    example: 'ada',
    maxLength: SEARCH_QUERY_MAX_LENGTH,
    description:
      'The start of an email, a username, a name or any word of a name (case and accents ignored), or exactly a provider subject. A part from the middle (not at a word) matches nothing. Empty or absent: every account.',
  })
  @IsOptionalNotNull()
  @IsString({ message: 'query must be a string' })
  @HasLength(
    0,
    SEARCH_QUERY_MAX_LENGTH,
    `query must be at most ${SEARCH_QUERY_MAX_LENGTH} characters`,
  )
  query?: string;

  @ApiPropertyOptional({ default: 1 })
  @IsOptionalNotNull()
  @IsQueryInteger('page', 1, 100000)
  page?: number;

  @ApiPropertyOptional({ default: 20 })
  @IsOptionalNotNull()
  @IsQueryInteger('limit', 1, 100)
  limit?: number;
}
