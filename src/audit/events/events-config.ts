import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { configArea } from '../../platform/config/config-area';

/** The audit log (the `events` collection). */
export class EventsConfig {
  /** How long the audit log (the `events` collection) keeps an event; MongoDB removes it then. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  EVENTS_RETENTION_DAYS = 90;
}

export const eventsConfig = configArea('events', EventsConfig);
