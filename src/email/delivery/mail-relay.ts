import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { EmailConfig, emailConfig } from '../email-config';
import { backOff, DELIVERS_OUTBOXES, OutboxWorker } from '../../platform/database/outbox-worker';
import { GracefulShutdown } from '../../platform/shutdown/graceful-shutdown';
import { isPermanentFailure, MailTransport } from './mail-transport';
import { OutboxMessage } from './outbox-message.schema';

/** How long one instance holds a message while delivering it; a crashed instance's claim lapses. */
const CLAIM_MS = 2 * 60_000;
/** Retry delays double from MAIL_RETRY_SECONDS up to this. An outage delays mail, it never drops it. */
const MAX_RETRY_MS = 60 * 60_000;
/** Delivered messages keep their record (without a body) this long, for support questions. */
const KEEP_SENT_MS = 30 * 86_400_000;

/**
 * Delivers the mail outbox: every instance polls it (and wakes at once after a change that
 * sends), and takes one due message at a time with an atomic claim (OutboxWorker), so two
 * instances never send the same one.
 * At shutdown it finishes the delivery under way or hands it back (OutboxWorker.stop).
 */
@Injectable()
export class MailRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly worker: OutboxWorker<OutboxMessage>;

  constructor(
    @InjectModel(OutboxMessage.name) messages: Model<OutboxMessage>,
    private readonly transport: MailTransport,
    @Inject(emailConfig.KEY) private readonly config: EmailConfig,
    private readonly shutdown: GracefulShutdown,
    @Optional() @Inject(DELIVERS_OUTBOXES) delivers: boolean = true,
  ) {
    this.worker = new OutboxWorker(messages, {
      name: 'Mail',
      active: delivers,
      pollIntervalMs: config.MAIL_POLL_INTERVAL_MS,
      claimMs: CLAIM_MS,
      deliver: (message) => this.deliver(message),
    });
  }

  onApplicationBootstrap(): void {
    this.worker.start();
  }

  /** Stops claiming; the delivery under way finishes, or its message is handed back. */
  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop(this.shutdown.remainingMs());
    // The relay is the transport's only user: it closes once the last delivery is over.
    this.transport.close();
  }

  /** Delivers what is due now. */
  wake(): void {
    this.worker.wake();
  }

  private async deliver(message: OutboxMessage): Promise<void> {
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
    await this.worker.finish(message, {
      $set: { state: 'sent', sentAt: now, expiresAt: new Date(now.getTime() + KEEP_SENT_MS) },
      $unset: { text: '', html: '' },
    });
    this.logger.log({ mailId: message._id, kind: message.kind }, 'Mail delivered');
  }

  private async failed(message: OutboxMessage, error: unknown): Promise<void> {
    const reason = describe(error);
    const now = Date.now();
    if (isPermanentFailure(error)) {
      await this.worker.finish(message, {
        $set: { state: 'rejected', lastError: reason, expiresAt: new Date(now + KEEP_SENT_MS) },
        $unset: { text: '', html: '' },
      });
      this.logger.error({ mailId: message._id, kind: message.kind, reason }, 'Mail refused');
      return;
    }
    const delay = backOff(message.attempts, this.config.MAIL_RETRY_SECONDS * 1000, MAX_RETRY_MS);
    await this.worker.finish(message, {
      $set: { nextAttemptAt: new Date(now + delay), lastError: reason },
    });
    this.logger.warn(
      { mailId: message._id, kind: message.kind, attempts: message.attempts, reason },
      `Mail not delivered; retrying in ${Math.round(delay / 1000)} s`,
    );
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
