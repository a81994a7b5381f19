import { Module } from '@nestjs/common';
import { GracefulShutdown } from './graceful-shutdown';

/** Stopping without losing work: the HTTP server drains, then the workers hand back their claims. */
@Module({
  providers: [GracefulShutdown],
  exports: [GracefulShutdown],
})
export class ShutdownModule {}
