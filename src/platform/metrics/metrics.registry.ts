import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The app's own prom-client registry, not prom-client's global one: several apps in one process
 * (the tests) then never register a metric twice. Holds the process metrics prom-client collects.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
