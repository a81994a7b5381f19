import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Gauge, Registry } from 'prom-client';
import { OutboxMessage } from './outbox-message.schema';

/** The outbox backlog, counted in MongoDB at each scrape: every instance sees the same number. */
@Injectable()
export class OutboxMetrics {
  constructor(@InjectModel(OutboxMessage.name) messages: Model<OutboxMessage>, registry: Registry) {
    new Gauge({
      name: 'mail_outbox_pending',
      help: 'Messages in the outbox not yet delivered (NaN when the database did not answer).',
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
