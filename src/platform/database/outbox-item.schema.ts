import { Prop } from '@nestjs/mongoose';
import type { Schema as MongooseSchema } from 'mongoose';
import { Types } from 'mongoose';

/**
 * The delivery bookkeeping every outbox document carries (mail, webhooks), which OutboxWorker
 * reads and writes; each outbox's schema extends it with what it delivers and its `state`.
 */
export abstract class OutboxItemFields {
  _id!: Types.ObjectId;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  /** Not before then: the next attempt after a failure waits. */
  @Prop({ type: Date, required: true })
  nextAttemptAt!: Date;

  @Prop({ type: Number, required: true })
  attempts!: number;

  /** The instance delivering it right now, and until when its claim holds. */
  @Prop({ type: String })
  claimedBy?: string;

  @Prop({ type: Date })
  claimedUntil?: Date;

  /** The last failure, as the receiving server or the network gave it. */
  @Prop({ type: String })
  lastError?: string;

  /** When the record may go: set once delivered or given up. */
  @Prop({ type: Date })
  expiresAt?: Date;
}

/** The worker's query (the oldest due item still waiting), and the expiry of finished ones. */
export function indexOutbox(schema: MongooseSchema): void {
  schema.index({ state: 1, nextAttemptAt: 1 });
  schema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
}
