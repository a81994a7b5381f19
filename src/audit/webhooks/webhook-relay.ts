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
import { backOff, DELIVERS_OUTBOXES, OutboxWorker } from '../../platform/database/outbox-worker';
import { GracefulShutdown } from '../../platform/shutdown/graceful-shutdown';
import { WebhookMessage } from './webhook-message.schema';
import { WebhookTransport } from './webhook-transport';
import { ATTEMPT_TIMEOUT_MS, describeDeliveryFailure } from '../../platform/http/outbound-post';
import { WebhooksConfig, webhooksConfig } from './webhooks-config';

/** How often each instance looks for webhooks due (it also looks right after each change). */
const POLL_INTERVAL_MS = 5_000;
/** Webhooks one instance sends at once: a receiver slow to answer holds up one, not the rest. */
const CONCURRENCY = 4;
/** Longer than an attempt may take; a crashed instance's claim lapses after it. */
const CLAIM_MS = ATTEMPT_TIMEOUT_MS + 50_000;
/** Retry delays double from WEBHOOK_RETRY_SECONDS up to this. */
const MAX_RETRY_MS = 60 * 60_000;
/** A webhook still not delivered this long after its change is given up (marked failed). */
export const GIVE_UP_MS = 3 * 86_400_000;
/** Delivered and failed webhooks keep their record this long (a delivered one without its body). */
const KEEP_MS = 30 * 86_400_000;

/**
 * Delivers the webhook outbox: every instance polls it and takes due webhooks, CONCURRENCY at a
 * time, each with an atomic claim (OutboxWorker). A 2xx answer ends it; any other answer, a network error or the
 * timeout is retried with a doubling delay, under the same `webhook-id`, until GIVE_UP_MS.
 */
@Injectable()
export class WebhookRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly worker: OutboxWorker<WebhookMessage>;
  private readonly urls: Set<string>;

  constructor(
    @InjectModel(WebhookMessage.name) messages: Model<WebhookMessage>,
    private readonly transport: WebhookTransport,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
    private readonly shutdown: GracefulShutdown,
    @Optional() @Inject(DELIVERS_OUTBOXES) delivers: boolean = true,
  ) {
    this.urls = new Set(config.WEBHOOK_URLS);
    this.worker = new OutboxWorker(messages, {
      name: 'Webhooks',
      active: delivers,
      pollIntervalMs: POLL_INTERVAL_MS,
      claimMs: CLAIM_MS,
      concurrency: CONCURRENCY,
      deliver: (message) => this.deliver(message),
    });
  }

  /** Without WEBHOOK_URLS nothing is sent (nor signed: there may be no secret). */
  onApplicationBootstrap(): void {
    if (this.urls.size > 0) this.worker.start();
  }

  /** Stops claiming; the webhooks being sent finish, or are handed back (OutboxWorker.stop). */
  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop(this.shutdown.remainingMs());
  }

  /** Delivers what is due now. */
  wake(): void {
    this.worker.wake();
  }

  private async deliver(message: WebhookMessage): Promise<void> {
    // A URL taken out of WEBHOOK_URLS no longer wants what it was owed.
    if (!this.urls.has(message.url)) {
      await this.giveUp(message, 'the URL is no longer in WEBHOOK_URLS');
      return;
    }
    try {
      await this.transport.post(message.url, message.webhookId, message.body ?? '');
    } catch (error) {
      await this.failed(message, describeDeliveryFailure(error));
      return;
    }
    const now = new Date();
    await this.worker.finish(message, {
      $set: { state: 'delivered', deliveredAt: now, expiresAt: new Date(now.getTime() + KEEP_MS) },
      $unset: { body: '' },
    });
    this.logger.log(logFields(message), 'Webhook delivered');
  }

  private async failed(message: WebhookMessage, reason: string): Promise<void> {
    const now = Date.now();
    const delay = backOff(message.attempts, this.config.WEBHOOK_RETRY_SECONDS * 1000, MAX_RETRY_MS);
    if (now + delay - message.createdAt.getTime() > GIVE_UP_MS) {
      await this.giveUp(message, reason);
      return;
    }
    await this.worker.finish(message, {
      $set: { nextAttemptAt: new Date(now + delay), lastError: reason },
    });
    this.worker.wakeAfter(delay);
    this.logger.warn(
      { ...logFields(message), reason },
      `Webhook not delivered; retrying in ${Math.round(delay / 1000)} s`,
    );
  }

  private async giveUp(message: WebhookMessage, reason: string): Promise<void> {
    await this.worker.finish(message, {
      $set: { state: 'failed', lastError: reason, expiresAt: new Date(Date.now() + KEEP_MS) },
    });
    this.logger.error({ ...logFields(message), reason }, 'Webhook given up');
  }
}

/** What the logs say of a webhook: where it goes by origin only (a path or query may hold a token). */
function logFields({ webhookId, type, url, attempts }: WebhookMessage) {
  return { webhookId, type, url: new URL(url).origin, attempts };
}
