import { Gauge, Registry } from 'prom-client';
import { HashScheduler } from './hash-scheduler';

/** The argon2 queue's gauges, read from the scheduler at each scrape. */
export function registerHashSchedulerMetrics(registry: Registry, scheduler: HashScheduler): void {
  new Gauge({
    name: 'argon2_queue_depth',
    help: 'Password hashes and checks waiting for an argon2 slot.',
    registers: [registry],
    collect() {
      this.set(scheduler.waiting);
    },
  });
  new Gauge({
    name: 'argon2_in_flight',
    help: 'argon2 computations running now (at most ARGON2_MAX_CONCURRENCY).',
    registers: [registry],
    collect() {
      this.set(scheduler.running);
    },
  });
}
