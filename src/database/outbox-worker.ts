import { Logger } from '@nestjs/common';
import mongoose, { Model, QueryFilter, Types } from 'mongoose';
import { randomUUID } from 'node:crypto';

/** The delivery bookkeeping every outbox document carries. */
export interface OutboxItem {
  _id: Types.ObjectId;
  /** 'pending' until delivered or given up; only pending items are claimed. */
  state: string;
  /** Not before then: the next attempt after a failure waits. */
  nextAttemptAt: Date;
  attempts: number;
  /** The instance delivering it right now, and until when its claim holds. */
  claimedBy?: string;
  claimedUntil?: Date;
}

/**
 * Provided as false by a process that only writes to the outboxes (the CLI): what it causes is
 * delivered by the running instances, and it exits without waiting on SMTP, webhooks or a backlog.
 */
export const DELIVERS_OUTBOXES = Symbol('DELIVERS_OUTBOXES');

export interface OutboxWorkerOptions<T extends OutboxItem> {
  /** The logger's context ('Mail', 'Webhooks'). */
  name: string;
  /** False: this process delivers nothing (DELIVERS_OUTBOXES); start and wake do nothing. */
  active: boolean;
  pollIntervalMs: number;
  /** How long one instance holds an item while delivering it; a crashed instance's claim lapses. */
  claimMs: number;
  /** One attempt at a claimed item; it ends the attempt with `finish`, whatever the outcome. */
  deliver: (item: T) => Promise<void>;
}

/**
 * Delivers an outbox collection: every instance polls it (and wakes at once after a change that
 * adds to it), and takes one due item at a time with an atomic claim, so two instances never
 * deliver the same one. Stopping lets the attempt in flight finish (and record its outcome).
 */
export class OutboxWorker<T extends OutboxItem> {
  private readonly logger: Logger;
  private readonly instance = randomUUID();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly items: Model<T>,
    private readonly options: OutboxWorkerOptions<T>,
  ) {
    this.logger = new Logger(options.name);
  }

  start(): void {
    if (!this.options.active) return;
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Delivers what is due now; a wake during a run makes it look again when done. */
  wake(): void {
    if (this.stopped || !this.options.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, `${this.options.name} delivery pass failed`),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Looks again after `ms` (when a retry this instance scheduled is due), besides polling. */
  wakeAfter(ms: number): void {
    setTimeout(() => this.wake(), ms).unref();
  }

  /**
   * Ends this instance's attempt at `item` with `update` (delivered, given up, or retried later),
   * releasing the claim; nothing happens if the claim lapsed and another instance took it.
   */
  async finish(item: T, update: { $set: Partial<T>; $unset?: Record<string, ''> }): Promise<void> {
    await this.items
      .updateOne({ _id: item._id, claimedBy: this.instance } as QueryFilter<T>, {
        $set: update.$set,
        $unset: { ...update.$unset, claimedBy: '', claimedUntil: '' },
      })
      .exec();
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const item = await this.claim();
      if (!item) return;
      await this.options.deliver(item);
    }
  }

  private claim(): Promise<T | null> {
    const now = new Date();
    return this.items
      .findOneAndUpdate(
        {
          state: 'pending',
          nextAttemptAt: mongoose.trusted({ $lte: now }),
          $or: [
            { claimedUntil: mongoose.trusted({ $exists: false }) },
            { claimedUntil: mongoose.trusted({ $lte: now }) },
          ],
        } as QueryFilter<T>,
        {
          $set: {
            claimedBy: this.instance,
            claimedUntil: new Date(now.getTime() + this.options.claimMs),
          },
          $inc: { attempts: 1 },
        },
        { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
      )
      .lean<T>()
      .exec();
  }
}

/** The retry delay after `attempts` failures: `firstMs`, doubling each time, up to `maxMs`. */
export function backOff(attempts: number, firstMs: number, maxMs: number): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempts - 1), maxMs);
}
