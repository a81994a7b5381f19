import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AccountEvent, AccountEventSchema } from './event.schema';
import { EventsService } from './events.service';
import { RequestContext, RequestContextMiddleware } from './request-context';

/**
 * The audit log, which every feature writes to (hence global), and the per-request context that
 * says who acted and from where.
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
export class EventsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // A plain AsyncLocalStorage rather than nestjs-cls, whose module adds a guard and an
    // interceptor to every route (the interceptor alone costs each request an rxjs pipeline).
    consumer.apply(RequestContextMiddleware).forRoutes('/');
  }
}
