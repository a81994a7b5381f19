import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, QueryFilter, Types } from 'mongoose';
import { AppConfig } from '../config/app-config';
import { AccountEvent, Actor, EventType } from './event.schema';
import { RequestContext } from './request-context';

export interface NewEvent {
  type: EventType;
  userId?: Types.ObjectId;
  details?: Record<string, unknown>;
  /** Who acted, when the request does not say (a sign-in: the person who just proved who they are). */
  actor?: Actor;
}

export interface EventQuery {
  userId?: Types.ObjectId;
  type?: EventType;
  /** An event id: only events older than it (the next page). */
  before?: Types.ObjectId;
  limit: number;
}

/**
 * The audit log. `record` joins the caller's transaction when there is one (Transactions.run), so
 * an event exists exactly when the change it describes does; who acted and from where come from
 * the request (RequestContext).
 */
@Injectable()
export class EventsService {
  private readonly retentionMs: number;

  constructor(
    @InjectModel(AccountEvent.name) private readonly events: Model<AccountEvent>,
    private readonly context: RequestContext,
    config: AppConfig,
  ) {
    this.retentionMs = config.EVENTS_RETENTION_DAYS * 24 * 3600 * 1000;
  }

  async record(event: NewEvent): Promise<void> {
    const at = new Date();
    await this.events.create({
      type: event.type,
      userId: event.userId,
      details: event.details,
      actor: event.actor ?? this.context.actor,
      ...this.context.client,
      at,
      expiresAt: new Date(at.getTime() + this.retentionMs),
    });
  }

  /** Newest first. */
  async list(query: EventQuery): Promise<AccountEvent[]> {
    const filter: QueryFilter<AccountEvent> = {};
    if (query.userId) filter.userId = query.userId;
    if (query.type) filter.type = query.type;
    // Trusted: the global sanitizeFilter would otherwise turn the operator into a value to match.
    if (query.before) filter._id = mongoose.trusted({ $lt: query.before });
    return this.events
      .find(filter)
      .sort({ _id: -1 })
      .limit(query.limit)
      .lean<AccountEvent[]>()
      .exec();
  }
}
