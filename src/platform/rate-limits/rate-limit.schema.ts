import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One throttler counter (MongoThrottlerStorage): the hits of one key in its current fixed window,
 * and the block that going over the limit started. Shared by every instance of the service.
 */
@Schema({ collection: 'rate_limits', versionKey: false, strict: 'throw' })
export class RateLimit {
  /** `<throttler name>:<key>`; the keys are hashes, so no address or login is stored. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** Hits counted in the window (not those refused while blocked). */
  @Prop({ type: Number, required: true })
  hits!: number;

  /** When the window ends; the next hit after it starts a new one. */
  @Prop({ type: Date, required: true })
  windowEndsAt!: Date;

  /** Set when a hit went over the limit: every hit is refused until then. */
  @Prop({ type: Date, default: null })
  blockedUntil!: Date | null;

  /** The later of the two: MongoDB's TTL monitor removes the record after it. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const RateLimitSchema = SchemaFactory.createForClass(RateLimit);
RateLimitSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
