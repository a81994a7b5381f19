import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsQueryInteger } from '../../platform/http/query-integer';
import { IsObjectId, IsOptionalNotNull } from '../../users/user-fields';

export class EventsQueryDto {
  @ApiPropertyOptional({
    example: '6660a1f09b1e8a0012345678',
    description: 'An event `id`: only older events (the next page).',
  })
  @IsOptionalNotNull()
  @IsObjectId('before must be an event id')
  before?: string;

  @ApiPropertyOptional({ default: 20 })
  @IsOptionalNotNull()
  @IsQueryInteger('limit', 1, 100)
  limit?: number;
}
