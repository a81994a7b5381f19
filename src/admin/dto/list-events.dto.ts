import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsQueryInteger } from '../../platform/http/query-integer';
import { EVENT_TYPES, EventType } from '../../audit/events/event.schema';
import { IsObjectId, IsOptionalNotNull } from '../../users/user-fields';

export class ListEventsDto {
  @ApiPropertyOptional({ description: "Only this account's events." })
  @IsOptionalNotNull()
  @IsObjectId('userId must be a user id')
  userId?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES, { message: 'type must be one of the event types' })
  type?: EventType;

  @ApiPropertyOptional({ description: 'An event id: only older events (the next page).' })
  @IsOptionalNotNull()
  @IsObjectId('before must be an event id')
  before?: string;

  @ApiPropertyOptional({ default: 50 })
  @IsOptionalNotNull()
  @IsQueryInteger('limit', 1, 100)
  limit?: number;
}
