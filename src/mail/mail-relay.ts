import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { GracefulShutdown } from '../shutdown/graceful-shutdown';
import { isPermanentFailure, MailTransport } from './mail-transport';
import { OutboxMessage } from './outbox-message.schema';

/** How long one instance holds a message while delivering it; a crashed instance's claim lapses. */
const CLAIM_MS = 2 * 60_000;
/** Retry delays double from MAIL_RETRY_SECONDS up to this. An outage delays mail, it never drops it. */
const MAX_RETRY_MS = 60 * 60_000;
/** Delivered messages keep their record (without a body) this long, for support questions. */
const KEEP_SENT_MS = 30 * 86_400_000;

/**
 * Delivers the outbox: every instance polls it (and wakes at once after a change that sends), and
 * takes one due message at a time with an atomic claim, so two instances never send the same one.
 *
 * The pattern for every outbox worker (mail, webhooks):
 *  - work is a record in MongoDB, claimed by one atomic update (`claimedBy`, `claimedUntil`), so
 *    any instance may take any of it and a crashed instance's claim lapses after CLAIM_MS;
 *  - at shutdown (onApplicationShutdown: the HTTP server has closed by then, so the last requests'
 *    work is in the outbox, and the database is still connected), it stops claiming, waits for the
 *    delivery under way until GracefulShutdown's deadline, and hands back a claim still held then,
 *    so that another instance takes the message at once instead of after CLAIM_MS.
 */
@Injectable()
export class MailRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly instance = randomUUID();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** The message being delivered right now, if any. */
  private delivering?: OutboxMessage;
  private again = false;
  private stopped = false;

  constructor(
    @InjectModel(OutboxMessage.name) private readonly messages: Model<OutboxMessage>,
    private readonly transport: MailTransport,
    private readonly config: AppConfig,
    private readonly shutdown: GracefulShutdown,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.config.MAIL_POLL_INTERVAL_MS);
    this.timer.unref();
    this.wake();
  }

  /** Stops claiming; the delivery under way finishes, or its message is handed back. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const finished = await settlesWithin(this.running, this.shutdown.remainingMs());
    const unfinished = this.delivering;
    if (!finished && unfinished) {
      // Its outcome is unknown: the server may still accept it, and the next instance send it
      // again (under the same Message-ID). Better than holding it for CLAIM_MS.
      await this.release(unfinished);
      this.logger.warn(
        { mailId: unfinished._id, kind: unfinished.kind },
        'Mail delivery cut off by shutdown; handed back to the other instances',
      );
    }
    // The relay is the transport's only user: it closes once the last delivery is over.
    this.transport.close();
  }

  /** Delivers what is due now; a wake during a run makes it look again when done. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Mail relay pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const message = await this.claim();
      if (!message) return;
      // Shutdown began while claiming: not started, so handed back as it was.
      if (this.stopped) return this.release(message, { attempted: false });
      this.delivering = message;
      try {
        await this.deliver(message);
      } finally {
        this.delivering = undefined;
      }
    }
  }

  /** Lets go of a claimed message, due at once for whichever instance looks next. */
  private async release(message: OutboxMessage, { attempted = true } = {}): Promise<void> {
    await this.messages
      .updateOne(
        { _id: message._id, claimedBy: this.instance },
        {
          $unset: { claimedBy: '', claimedUntil: '' },
          ...(attempted ? {} : { $inc: { attempts: -1 } }),
        },
      )
      .exec();
  }

  private claim(): Promise<OutboxMessage | null> {
    const now = new Date();
    return this.messages
      .findOneAndUpdate(
        {
          state: 'pending',
          nextAttemptAt: mongoose.trusted({ $lte: now }),
          $or: [
            { claimedUntil: mongoose.trusted({ $exists: false }) },
            { claimedUntil: mongoose.trusted({ $lte: now }) },
          ],
        },
        {
          $set: { claimedBy: this.instance, claimedUntil: new Date(now.getTime() + CLAIM_MS) },
          $inc: { attempts: 1 },
        },
        { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
      )
      .lean<OutboxMessage>()
      .exec();
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const mine = { _id: message._id, claimedBy: this.instance };
    try {
      await this.transport.send({
        id: message._id.toHexString(),
        to: message.to,
        subject: message.subject,
        text: message.text ?? '',
        html: message.html ?? '',
      });
    } catch (error) {
      await this.failed(message, error);
      return;
    }
    const now = new Date();
    await this.messages
      .updateOne(mine, {
        $set: { state: 'sent', sentAt: now, expiresAt: new Date(now.getTime() + KEEP_SENT_MS) },
        $unset: { text: '', html: '', claimedBy: '', claimedUntil: '' },
      })
      .exec();
    this.logger.log({ mailId: message._id, kind: message.kind }, 'Mail delivered');
  }

  private async failed(message: OutboxMessage, error: unknown): Promise<void> {
    const mine = { _id: message._id, claimedBy: this.instance };
    const reason = describe(error);
    const now = Date.now();
    if (isPermanentFailure(error)) {
      await this.messages
        .updateOne(mine, {
          $set: { state: 'rejected', lastError: reason, expiresAt: new Date(now + KEEP_SENT_MS) },
          $unset: { text: '', html: '', claimedBy: '', claimedUntil: '' },
        })
        .exec();
      this.logger.error({ mailId: message._id, kind: message.kind, reason }, 'Mail refused');
      return;
    }
    const delay = Math.min(
      this.config.MAIL_RETRY_SECONDS * 1000 * 2 ** (message.attempts - 1),
      MAX_RETRY_MS,
    );
    await this.messages
      .updateOne(mine, {
        $set: { nextAttemptAt: new Date(now + delay), lastError: reason },
        $unset: { claimedBy: '', claimedUntil: '' },
      })
      .exec();
    this.logger.warn(
      { mailId: message._id, kind: message.kind, attempts: message.attempts, reason },
      `Mail not delivered; retrying in ${Math.round(delay / 1000)} s`,
    );
  }
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

/** The error in one line, without the message (which may hold a link). */
function describe(error: unknown): string {
  const { code, responseCode, response, message } = (error ?? {}) as {
    code?: string;
    responseCode?: number;
    response?: string;
    message?: string;
  };
  const text = (response ?? message ?? 'unknown error').slice(0, 300);
  return [code, responseCode, text].filter((part) => part !== undefined).join(' ');
}
