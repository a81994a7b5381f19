import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ShutdownModule } from '../../platform/shutdown/shutdown.module';
import { MailOutbox } from './mail-outbox';
import { MailRelay } from './mail-relay';
import { MailTemplates } from './mail-templates';
import { MailTransport } from './mail-transport';
import { OutboxMetrics } from './outbox.metrics';
import { OutboxMessage, OutboxMessageSchema } from './outbox-message.schema';

/** Email: templates, the outbox written with each change, and its delivery over SMTP. */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: OutboxMessage.name, schema: OutboxMessageSchema }]),
    ShutdownModule,
  ],
  providers: [MailTemplates, MailTransport, MailRelay, MailOutbox, OutboxMetrics],
  exports: [MailOutbox],
})
export class MailModule {}
