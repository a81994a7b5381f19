import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/** A signed-in browser or client. The cookie holds a random token; only its SHA-256 is stored. */
@Schema({ collection: 'sessions', versionKey: false, strict: 'throw' })
export class Session {
  /** SHA-256 of the session token, hex. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Types.ObjectId, required: true, index: true })
  userId!: Types.ObjectId;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  /** When the person last proved who they are (password or provider) in this session. */
  @Prop({ type: Date, required: true })
  authenticatedAt!: Date;

  @Prop({ type: Date, required: true })
  lastSeenAt!: Date;

  /** The earlier of the idle and the absolute expiry; MongoDB's TTL monitor removes the record then. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  @Prop({ type: Date, required: true })
  absoluteExpiresAt!: Date;

  @Prop({ type: String })
  userAgent?: string;
}

export const SessionSchema = SchemaFactory.createForClass(Session);
SessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
