import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { indexOutbox, OutboxItemFields } from '../../platform/database/outbox-item.schema';

export const BACKCHANNEL_LOGOUT_STATES = ['pending', 'delivered', 'failed'] as const;
export type BackchannelLogoutState = (typeof BACKCHANNEL_LOGOUT_STATES)[number];

/**
 * One logout token owed to one app for one ended session, in `oidc_backchannel_logout_outbox`:
 * written with the ending, then signed and delivered by whichever instance claims it first,
 * retried until the app answers 2xx or it is given up. It holds the token's claims, never a
 * token: each attempt signs one with the key that signs then.
 */
@Schema({ collection: 'oidc_backchannel_logout_outbox', versionKey: false, strict: 'throw' })
export class BackchannelLogout extends OutboxItemFields {
  @Prop({ type: String, required: true })
  clientId!: string;

  /** The account's id: the token's `sub`. */
  @Prop({ type: String, required: true })
  sub!: string;

  /** The session's id at that app (its ID tokens' `sid`), for the apps that require it. */
  @Prop({ type: String })
  sid?: string;

  /** The token's `jti`: the same on every attempt, so the app can drop a repeat. */
  @Prop({ type: String, required: true })
  jti!: string;

  @Prop({ type: String, enum: BACKCHANNEL_LOGOUT_STATES, required: true })
  state!: BackchannelLogoutState;

  @Prop({ type: Date })
  deliveredAt?: Date;
}

export const BackchannelLogoutSchema = SchemaFactory.createForClass(BackchannelLogout);
indexOutbox(BackchannelLogoutSchema);
