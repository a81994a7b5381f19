import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ACTOR_KINDS,
  AccountEvent,
  ActorKind,
  EVENT_TYPES,
  EventType,
} from '../audit/events/event.schema';

export class ActorView {
  @ApiProperty({ enum: ACTOR_KINDS })
  kind!: ActorKind;

  @ApiPropertyOptional({ description: "The acting user's id, or the API key's id." })
  id?: string;
}

/** One audit record, as GET /admin/events lists it. */
export class AccountEventView {
  @ApiProperty({ description: 'Pass it as `before` for the events older than this one.' })
  id!: string;

  @ApiProperty({ enum: EVENT_TYPES })
  type!: EventType;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'The account concerned.' })
  userId!: string | null;

  @ApiProperty({ type: ActorView })
  actor!: ActorView;

  @ApiPropertyOptional({ type: String, nullable: true })
  ip!: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty()
  at!: Date;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What changed (field names, the provider, the method); never a secret.',
  })
  details!: Record<string, unknown>;
}

export class AccountEventPage {
  @ApiProperty({ type: [AccountEventView], description: 'Newest first.' })
  events!: AccountEventView[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'When the page is full: the `before` of the next page.',
  })
  next!: string | null;
}

export function toAccountEventView(event: AccountEvent): AccountEventView {
  return {
    id: event._id.toHexString(),
    type: event.type,
    userId: event.userId?.toHexString() ?? null,
    actor: { kind: event.actor.kind, ...(event.actor.id !== undefined && { id: event.actor.id }) },
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    at: event.at,
    details: event.details ?? {},
  };
}
