import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MongoThrottlerStorage } from './mongo-throttler.storage';
import { RateLimit, RateLimitSchema } from './rate-limit.schema';

/** The throttler's counters in MongoDB, for ThrottlerModule (and so for AccountAttempts). */
@Module({
  imports: [MongooseModule.forFeature([{ name: RateLimit.name, schema: RateLimitSchema }])],
  providers: [MongoThrottlerStorage],
  exports: [MongoThrottlerStorage],
})
export class RateLimitsModule {}
