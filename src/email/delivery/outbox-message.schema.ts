import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { indexOutbox, OutboxItemFields } from '../../platform/database/outbox-item.schema';

export const DELIVERY_STATES = ['pending', 'sent', 'rejected'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One message in the `mail_outbox` collection: written in the same transaction as the change that
 * causes it, then delivered by whichever instance claims it first. A delivered message keeps no
 * body (its links stop being stored); its record expires after a while.
 */
@Schema({ collection: 'mail_outbox', versionKey: false, strict: 'throw' })
export class OutboxMessage extends OutboxItemFields {
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

  @Prop({ type: Date })
  sentAt?: Date;
}

export const OutboxMessageSchema = SchemaFactory.createForClass(OutboxMessage);
indexOutbox(OutboxMessageSchema);
