import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, QueryFilter, Types } from 'mongoose';
import { createHash } from 'node:crypto';
import { Transactions } from '../../platform/database/transactions';
import { updateOrCreate } from '../../platform/database/update-or-create';
import { InsertOneWrite, plainDocument } from '../../platform/database/write-batches';
import { WebhookType } from '../webhooks/webhook-message.schema';
import { WebhookOutbox } from '../webhooks/webhook-outbox';
import { AccountEvent, Actor, EventType } from './event.schema';
import { EventsConfig, eventsConfig } from './events-config';
import { RequestContext } from './request-context';

export interface NewEvent {
  type: EventType;
  userId?: Types.ObjectId;
  details?: Record<string, unknown>;
  /** Who acted, when the request does not say (a sign-in: the person who just proved who they are). */
  actor?: Actor;
}

/** How countPerClient groups attempts: per client address and window, kept a while after. */
export interface Tally {
  windowMs: number;
  /** How long the count is kept after its window ends. */
  keepMs: number;
}

export interface EventQuery {
  userId?: Types.ObjectId;
  type?: EventType;
  /** An event id: only events older than it (the next page). */
  before?: Types.ObjectId;
  limit: number;
}

/**
 * The webhook each kind of event sends to the other backends (WEBHOOK_URLS): the account's
 * creation, a change to what they see of it (email, username, name, data, emailVerified, role,
 * disabled, its providers and identities, hasPassword, passkeys), its deletion. Other events change nothing
 * they are shown; a password reset sends one only when it gave the account its first password.
 */
const WEBHOOK_OF: Partial<Record<EventType, WebhookType>> = {
  'user.created': 'user.created',
  'profile.updated': 'user.updated',
  'email.changed': 'user.updated',
  'email.verified': 'user.updated',
  'identity.linked': 'user.updated',
  'identity.unlinked': 'user.updated',
  'passkey.added': 'user.updated',
  'passkey.removed': 'user.updated',
  'password.set': 'user.updated',
  'password.removed': 'user.updated',
  'password.reset': 'user.updated',
  'user.updated': 'user.updated',
  'two_step.enabled': 'user.updated',
  'two_step.disabled': 'user.updated',
  'recovery_code.used': 'user.updated',
  'recovery_codes.replaced': 'user.updated',
  'user.disabled': 'user.updated',
  'user.enabled': 'user.updated',
  'user.deleted': 'user.deleted',
};

/**
 * The audit log. `record` joins the caller's transaction when there is one (Transactions.run), so
 * an event exists exactly when the change it describes does; who acted and from where come from
 * the request (RequestContext). An event that other backends hear of also writes its webhook, in
 * the same transaction.
 */
@Injectable()
export class EventsService {
  private readonly retentionMs: number;

  constructor(
    @InjectModel(AccountEvent.name) private readonly events: Model<AccountEvent>,
    private readonly context: RequestContext,
    private readonly transactions: Transactions,
    private readonly webhooks: WebhookOutbox,
    @Inject(eventsConfig.KEY) config: EventsConfig,
  ) {
    this.retentionMs = config.EVENTS_RETENTION_DAYS * 24 * 3600 * 1000;
  }

  /**
   * Call after the change, inside its transaction: a webhook reads the account as it is then.
   * `webhook: false` records the event alone, when other backends have nothing new to see (a
   * change that changed nothing, a password replaced by another). Several events of one change
   * send one webhook (WebhookOutbox).
   */
  async record(event: NewEvent, { webhook: sendsWebhook = true } = {}): Promise<void> {
    const webhook = sendsWebhook ? WEBHOOK_OF[event.type] : undefined;
    const userId = event.userId;
    if (!webhook || !userId) {
      await this.write(event);
      return;
    }
    await this.transactions.run(async () => {
      const { _id, at } = await this.write(event);
      await this.webhooks.enqueue({ type: webhook, userId, id: _id, at });
    });
  }

  /**
   * Counts an attempt by nobody known (no account, no webhook) in one event per client address and
   * window: the first attempt creates it, with its time, address and user agent; the others add to
   * `details.attempts` and move `details.lastAt`, in one atomic update each. For attempts that
   * must not write a record each (sign-ins with logins that match no account).
   */
  async countPerClient(event: NewEvent, { windowMs, keepMs }: Tally): Promise<void> {
    const now = new Date();
    const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
    const _id = tallyId(windowStart, [event.type, event.details, this.context.client.ip]);
    await updateOrCreate(
      () =>
        this.events
          .findOneAndUpdate(
            { _id },
            { $inc: { 'details.attempts': 1 }, $max: { 'details.lastAt': now } },
            { returnDocument: 'after' },
          )
          .lean<AccountEvent>()
          .exec(),
      () =>
        this.events.create({
          ...this.newDocument(event),
          _id,
          details: { ...event.details, attempts: 0, lastAt: now },
          expiresAt: new Date(windowStart + windowMs + Math.min(keepMs, this.retentionMs)),
        }),
    );
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

  /**
   * record() as a write to send with others (WriteBatches), for an event no other backend hears
   * of: the document record() would insert, as a plain document (its type is its schema).
   */
  recording(event: NewEvent): InsertOneWrite {
    if (WEBHOOK_OF[event.type]) {
      throw new Error(`A ${event.type} event sends a webhook: record it with record()`);
    }
    const document: AccountEvent = { _id: new Types.ObjectId(), ...this.newDocument(event) };
    return { target: this.events, insertOne: plainDocument(document) };
  }

  private async write(event: NewEvent): Promise<AccountEvent> {
    const created = await this.events.create(this.newDocument(event));
    return created.toObject<AccountEvent>();
  }

  private newDocument(event: NewEvent): Omit<AccountEvent, '_id'> {
    const at = new Date();
    return {
      type: event.type,
      userId: event.userId,
      details: event.details,
      actor: event.actor ?? this.context.actor,
      ...this.context.client,
      at,
      expiresAt: new Date(at.getTime() + this.retentionMs),
    };
  }
}

/**
 * The id of a count: the window's start as its time (where it sorts among the events), then 8 bytes
 * of a hash of what it counts, so parallel attempts meet on the `_id` index, sharded or not.
 */
function tallyId(windowStart: number, counted: unknown[]): Types.ObjectId {
  const id = Buffer.alloc(12);
  id.writeUInt32BE(Math.floor(windowStart / 1000), 0);
  createHash('sha256').update(JSON.stringify(counted)).digest().copy(id, 4, 0, 8);
  return new Types.ObjectId(id);
}
