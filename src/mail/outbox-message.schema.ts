import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

export const DELIVERY_STATES = ['pending', 'sent', 'rejected'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One message in the `mail_outbox` collection: written in the same transaction as the change that
 * causes it, then delivered by whichever instance claims it first. A delivered message keeps no
 * body (its links stop being stored); its record expires after a while.
 */
@Schema({ collection: 'mail_outbox', versionKey: false, strict: 'throw' })
export class OutboxMessage {
  _id!: Types.ObjectId;

  @Prop({ type: String, required: true })
  to!: string;

  /** The template it was rendered from, for logs and tests. */
  @Prop({ type: String, required: true })
  kind!: string;

  @Prop({ type: String, required: true })
  subject!: string;

  @Prop({ type: String })
  text?: string;

  @Prop({ type: String })
  html?: string;

  @Prop({ type: String, enum: DELIVERY_STATES, required: true })
  state!: DeliveryState;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  /** Not before then: the next attempt after a failure waits. */
  @Prop({ type: Date, required: true })
  nextAttemptAt!: Date;

  @Prop({ type: Number, required: true })
  attempts!: number;

  /** The instance delivering it right now, and until when its claim holds. */
  @Prop({ type: String })
  claimedBy?: string;

  @Prop({ type: Date })
  claimedUntil?: Date;

  @Prop({ type: Date })
  sentAt?: Date;

  /** The last delivery error, as the SMTP server or the network gave it. */
  @Prop({ type: String })
  lastError?: string;

  /** When the record may go: set once delivered or refused for good. */
  @Prop({ type: Date })
  expiresAt?: Date;
}

export const OutboxMessageSchema = SchemaFactory.createForClass(OutboxMessage);
// The relay's query: the oldest due message still waiting.
OutboxMessageSchema.index({ state: 1, nextAttemptAt: 1 });
OutboxMessageSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
