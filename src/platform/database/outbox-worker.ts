import { Logger } from '@nestjs/common';
import mongoose, { Model, QueryFilter } from 'mongoose';
import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { OutboxItemFields } from './outbox-item.schema';

/** An outbox document as the worker sees it: its bookkeeping, and 'pending' until delivered or given up. */
export type OutboxItem = OutboxItemFields & { state: string };

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
  /**
   * How many items one instance delivers at once (1 if not given): with more, an item whose
   * receiver is slow to answer holds up one of them, not the rest.
   */
  concurrency?: number;
  /** One attempt at a claimed item; it ends the attempt with `finish`, whatever the outcome. */
  deliver: (item: T) => Promise<void>;
}

/**
 * Delivers an outbox collection (mail, webhooks): every instance polls it (and wakes at once after
 * a change that adds to it), and takes due items with an atomic claim (`claimedBy`,
 * `claimedUntil`), one at a time in each of its `concurrency` lanes, so two instances never
 * deliver the same one and a crashed instance's claim lapses after `claimMs`.
 *
 * At shutdown (the owner's onApplicationShutdown: the HTTP server has closed by then, so the last
 * requests' work is in the outbox, and the database is still connected) it stops claiming, waits
 * for the attempts under way until GracefulShutdown's deadline, and hands back the claims still
 * held then, so that another instance takes those items at once instead of after `claimMs`.
 */
export class OutboxWorker<T extends OutboxItem> {
  private readonly logger: Logger;
  private readonly instance = randomUUID();
  private timer?: NodeJS.Timeout;
  /** The lanes delivering now, each claiming and delivering one item after another. */
  private readonly lanes = new Set<Promise<void>>();
  /** The items being delivered right now. */
  private readonly delivering = new Set<T>();
  private again = false;
  private stopped = false;
  /**
   * The async context the lanes run in: the worker's own, made with it (outside any request), not
   * that of the request whose change woke it, whose id its log lines would otherwise carry.
   */
  private readonly scope = new AsyncResource('OutboxWorker');

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

  /**
   * Stops claiming; the attempts under way finish within `graceMs`, or their items are handed
   * back. Returns whether they finished.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopped = true;
    clearInterval(this.timer);
    const finished = await settlesWithin(Promise.all(this.lanes), graceMs);
    if (finished) return true;
    for (const unfinished of [...this.delivering]) {
      // Its outcome is unknown: the receiver may still accept it, and the next instance deliver it
      // again (under the same id). Better than holding it for claimMs.
      await this.release(unfinished);
      this.logger.warn(
        { itemId: unfinished._id },
        `${this.options.name} delivery cut off by shutdown; handed back to the other instances`,
      );
    }
    return false;
  }

  /**
   * Delivers what is due now: in a new lane while fewer than `concurrency` run (so an item that a
   * slow receiver holds up does not hold up the next change's); else the lanes look again when
   * one is done.
   */
  wake(): void {
    if (this.stopped || !this.options.active) return;
    if (this.lanes.size >= (this.options.concurrency ?? 1)) {
      this.again = true;
      return;
    }
    const lane: Promise<void> = this.scope
      .runInAsyncScope(() => this.deliverInTurn())
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, `${this.options.name} delivery pass failed`),
      )
      .finally(() => {
        this.lanes.delete(lane);
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
    this.lanes.add(lane);
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

  /**
   * One lane: claims and delivers due items one after another, until none is left. Each item it
   * claims wakes another lane (up to `concurrency`) for the items due besides it; so an idle poll
   * claims once.
   */
  private async deliverInTurn(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const item = await this.claim();
      if (!item) return;
      // Shutdown began while claiming: not started, so handed back as it was.
      if (this.stopped) return this.release(item, { attempted: false });
      if (this.lanes.size < (this.options.concurrency ?? 1)) this.wake();
      this.delivering.add(item);
      try {
        await this.options.deliver(item);
      } finally {
        this.delivering.delete(item);
      }
    }
  }

  /** Lets go of a claimed item, due at once for whichever instance looks next. */
  private async release(item: T, { attempted = true } = {}): Promise<void> {
    await this.items
      .updateOne({ _id: item._id, claimedBy: this.instance } as QueryFilter<T>, {
        $unset: { claimedBy: '', claimedUntil: '' },
        ...(attempted ? {} : { $inc: { attempts: -1 } }),
      })
      .exec();
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

/** Whether `work` settles (either way) within `ms`; no work counts as settled. */
async function settlesWithin(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!work) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
