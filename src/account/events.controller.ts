import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Types } from 'mongoose';
import { Auth, CurrentAuth } from '../sign-in/authenticated-request';
import { EventsService } from '../audit/events/events.service';
import { EventView, toEventView } from '../audit/events/event.view';
import { EventsQueryDto } from './dto/events-query.dto';

/** The account's security history: sign-ins, failed attempts, changes, who made them and from where. */
@ApiTags('account')
@Controller('me/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    summary: "The account's security events, newest first",
    description:
      'Sign-ins and failed attempts, account creation, providers connected and disconnected, password and email changes, profile updates, sessions signed out, and changes by administrators. Page on with `before` = the last `id` received; kept EVENTS_RETENTION_DAYS.',
  })
  @ApiOkResponse({ type: [EventView] })
  async list(@CurrentAuth() { user }: Auth, @Query() query: EventsQueryDto): Promise<EventView[]> {
    const events = await this.events.list({
      userId: user._id,
      before: query.before === undefined ? undefined : new Types.ObjectId(query.before),
      limit: query.limit ?? 20,
    });
    return events.map((event) => toEventView(event, user._id));
  }
}
