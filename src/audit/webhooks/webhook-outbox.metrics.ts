import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Registry } from 'prom-client';
import { backlogGauge } from '../../platform/metrics/backlog-gauge';
import { WebhookMessage } from './webhook-message.schema';

/** The webhook backlog on /metrics. */
@Injectable()
export class WebhookOutboxMetrics {
  constructor(
    @InjectModel(WebhookMessage.name) messages: Model<WebhookMessage>,
    registry: Registry,
  ) {
    backlogGauge(
      registry,
      'webhook_outbox_pending',
      'Webhooks not yet delivered nor given up, one per URL',
      messages,
    );
  }
}
