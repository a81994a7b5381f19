import { Inject, Injectable } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '../../platform/config/app-config';
import { postOutbound } from '../../platform/http/outbound-post';
import { WebhooksConfig, webhooksConfig } from './webhooks-config';

/**
 * Sends one webhook as the Standard Webhooks specification describes: a JSON POST with
 * `webhook-id`, `webhook-timestamp` (this attempt's time) and `webhook-signature` (HMAC-SHA256 of
 * `id.timestamp.body` with WEBHOOK_SECRET), signed by the specification's own library.
 */
@Injectable()
export class WebhookTransport {
  private readonly signer?: Webhook;
  private readonly userAgent: string;

  constructor(config: AppConfig, @Inject(webhooksConfig.KEY) webhooks: WebhooksConfig) {
    if (webhooks.WEBHOOK_SECRET) this.signer = new Webhook(webhooks.WEBHOOK_SECRET);
    this.userAgent = `${config.APP_NAME} webhooks`;
  }

  /** Resolves on a 2xx answer; throws on any other answer, a network error, or the timeout. */
  async post(url: string, webhookId: string, body: string): Promise<void> {
    if (!this.signer) throw new Error('WEBHOOK_SECRET is not set');
    const timestamp = new Date();
    await postOutbound(
      url,
      {
        'content-type': 'application/json',
        'user-agent': this.userAgent,
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': this.signer.sign(webhookId, timestamp, body),
      },
      body,
    );
  }
}
