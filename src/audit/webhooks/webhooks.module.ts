import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ShutdownModule } from '../../platform/shutdown/shutdown.module';
import { UsersModule } from '../../users/users.module';
import { WebhookMessage, WebhookMessageSchema } from './webhook-message.schema';
import { WebhookOutbox } from './webhook-outbox';
import { WebhookOutboxMetrics } from './webhook-outbox.metrics';
import { WebhookRelay } from './webhook-relay';
import { WebhookTransport } from './webhook-transport';

/**
 * Webhooks to other backends (WEBHOOK_URLS): user.created, user.updated and user.deleted, written
 * to an outbox with each change and delivered, signed, by every instance.
 */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: WebhookMessage.name, schema: WebhookMessageSchema }]),
    UsersModule,
    ShutdownModule,
  ],
  providers: [WebhookTransport, WebhookRelay, WebhookOutbox, WebhookOutboxMetrics],
  exports: [WebhookOutbox],
})
export class WebhooksModule {}
