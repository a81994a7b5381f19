import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AccountEvent, AccountEventSchema } from './event.schema';
import { EventsService } from './events.service';
import { RequestContext } from './request-context';

/**
 * The audit log, which every feature writes to (hence global), and the per-request context that
 * says who acted and from where (configure-app mounts its middleware).
 */
@Global()
@Module({
  imports: [
    MongooseModule.forFeature([{ name: AccountEvent.name, schema: AccountEventSchema }]),
    WebhooksModule,
  ],
  providers: [EventsService, RequestContext],
  exports: [EventsService, RequestContext],
})
export class EventsModule {}
