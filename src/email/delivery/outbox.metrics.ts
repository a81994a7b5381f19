import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Registry } from 'prom-client';
import { backlogGauge } from '../../platform/metrics/backlog-gauge';
import { OutboxMessage } from './outbox-message.schema';

/** The mail backlog on /metrics. */
@Injectable()
export class OutboxMetrics {
  constructor(@InjectModel(OutboxMessage.name) messages: Model<OutboxMessage>, registry: Registry) {
    backlogGauge(
      registry,
      'mail_outbox_pending',
      'Messages in the outbox not yet delivered',
      messages,
    );
  }
}
