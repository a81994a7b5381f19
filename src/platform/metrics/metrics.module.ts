import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { createMetricsRegistry } from './metrics.registry';
import { SignInMetrics } from './sign-in-metrics';

/**
 * GET /metrics and the app's registry. Global: each feature registers its own gauges and counters
 * on the registry (the argon2 queue in auth/, the outbox in mail/), so metrics/ depends on none.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: Registry, useFactory: createMetricsRegistry }, HttpMetrics, SignInMetrics],
  exports: [Registry, HttpMetrics, SignInMetrics],
})
export class MetricsModule {}
