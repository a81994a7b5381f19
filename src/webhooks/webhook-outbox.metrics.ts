import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Gauge, Registry } from 'prom-client';
import { WebhookMessage } from './webhook-message.schema';

/** The webhook backlog, counted in MongoDB at each scrape: every instance sees the same number. */
@Injectable()
export class WebhookOutboxMetrics {
  constructor(
    @InjectModel(WebhookMessage.name) messages: Model<WebhookMessage>,
    registry: Registry,
  ) {
    new Gauge({
      name: 'webhook_outbox_pending',
      help: 'Webhooks not yet delivered nor given up, one per URL (NaN when the database did not answer).',
      registers: [registry],
      async collect() {
        // One slow database must not fail the whole scrape.
        const pending = await messages
          .countDocuments({ state: 'pending' })
          .maxTimeMS(1500)
          .catch(() => NaN);
        this.set(pending);
      },
    });
  }
}
