import type { Model, QueryFilter } from 'mongoose';
import { Gauge, Registry } from 'prom-client';

/**
 * A gauge of an outbox's pending items, counted in MongoDB at each scrape, so every instance
 * shows the same number; NaN when the database did not answer within 1.5 s.
 */
export function backlogGauge<T extends { state: string }>(
  registry: Registry,
  name: string,
  help: string,
  items: Model<T>,
): Gauge {
  return new Gauge({
    name,
    help: `${help} (NaN when the database did not answer).`,
    registers: [registry],
    async collect() {
      // One slow database must not fail the whole scrape.
      const pending = await items
        .countDocuments({ state: 'pending' } as QueryFilter<T>)
        .maxTimeMS(1500)
        .catch(() => NaN);
      this.set(pending);
    },
  });
}
