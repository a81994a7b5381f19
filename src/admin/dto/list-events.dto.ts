import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsMongoId } from 'class-validator';
import { EVENT_TYPES, EventType } from '../../events/event.schema';
import { IsOptionalNotNull } from '../../users/user-fields';
import { IsQueryInteger } from './page-number';

export class ListEventsDto {
  @ApiPropertyOptional({ description: "Only this account's events." })
  @IsOptionalNotNull()
  @IsMongoId({ message: 'userId must be a user id' })
  userId?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES, { message: 'type must be one of the event types' })
  type?: EventType;

  @ApiPropertyOptional({ description: 'An event id: only older events (the next page).' })
  @IsOptionalNotNull()
  @IsMongoId({ message: 'before must be an event id' })
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptionalNotNull()
  @IsQueryInteger('limit', 1, 100)
  limit?: number;
}
