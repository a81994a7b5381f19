import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Types } from 'mongoose';
import { EventsService } from '../audit/events/events.service';
import { AdminAccess } from './admin-access';
import { AccountEventPage, toAccountEventView } from './account-event.view';
import { ListEventsDto } from './dto/list-events.dto';

/** The audit log, for admins. */
@ApiTags('admin')
@Controller('admin/events')
export class AdminEventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @AdminAccess('users:read')
  @ApiOperation({
    summary: 'The audit log, newest first',
    description: 'Filtered by account and type; page with `before` (the `next` of the last page).',
  })
  @ApiOkResponse({ type: AccountEventPage })
  async list(@Query() dto: ListEventsDto): Promise<AccountEventPage> {
    const limit = dto.limit ?? 50;
    const events = await this.events.list({
      userId: dto.userId === undefined ? undefined : new Types.ObjectId(dto.userId),
      type: dto.type,
      before: dto.before === undefined ? undefined : new Types.ObjectId(dto.before),
      limit,
    });
    const last = events.at(-1);
    return {
      events: events.map(toAccountEventView),
      next: events.length === limit && last ? last._id.toHexString() : null,
    };
  }
}
