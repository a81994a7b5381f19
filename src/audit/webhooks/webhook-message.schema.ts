import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { indexOutbox, OutboxItemFields } from '../../platform/database/outbox-item.schema';

/** What other backends are told: an account was created, changed, or deleted. */
export const WEBHOOK_TYPES = ['user.created', 'user.updated', 'user.deleted'] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export const WEBHOOK_STATES = ['pending', 'delivered', 'failed'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

/**
 * One webhook to one URL in the `webhook_outbox` collection: written in the same transaction as
 * the change it tells of, then delivered by whichever instance claims it first, and retried
 * until a 2xx answer or until it is given up.
 */
@Schema({ collection: 'webhook_outbox', versionKey: false, strict: 'throw' })
export class WebhookMessage extends OutboxItemFields {
  /** One of WEBHOOK_URLS. */
  @Prop({ type: String, required: true })
  url!: string;

  /** The `webhook-id` header: the same on every attempt, so a receiver can drop repeats. */
  @Prop({ type: String, required: true })
  webhookId!: string;

  @Prop({ type: String, enum: WEBHOOK_TYPES, required: true })
  type!: WebhookType;

  /** The JSON sent, exactly as signed: `{type, timestamp, data}`. Dropped once delivered. */
  @Prop({ type: String })
  body?: string;

  @Prop({ type: String, enum: WEBHOOK_STATES, required: true })
  state!: WebhookState;

  @Prop({ type: Date })
  deliveredAt?: Date;
}

export const WebhookMessageSchema = SchemaFactory.createForClass(WebhookMessage);
indexOutbox(WebhookMessageSchema);
