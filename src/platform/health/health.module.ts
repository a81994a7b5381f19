import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ShutdownModule } from '../shutdown/shutdown.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ShutdownModule],
  controllers: [HealthController],
})
export class HealthModule {}
