import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { API_KEY_SCOPES, type ApiKeyScope } from '../admin-access';
import { Actor, ActorSchema } from '../../audit/events/event.schema';

/**
 * An API key of another backend, for the admin API. The key itself (`ak_<id>_<secret>`) is shown
 * once, when it is created; only the SHA-256 of its secret is stored.
 */
@Schema({ collection: 'api_keys', versionKey: false, strict: 'throw' })
export class ApiKey {
  /** The key's public id, also written in the key itself, so a request finds its record directly. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  name!: string;

  @Prop({ type: [String], enum: API_KEY_SCOPES, required: true })
  scopes!: ApiKeyScope[];

  /** SHA-256 of the key's secret part, base64url. */
  @Prop({ type: String, required: true })
  secretHash!: string;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  /** Who created it: an admin, another key, or the CLI. */
  @Prop({ type: ActorSchema, required: true })
  createdBy!: Actor;

  /** When it last authenticated a request, to within a minute (see ApiKeysService.authenticate). */
  @Prop({ type: Date })
  lastUsedAt?: Date;

  /** Set once, when the key is revoked; a revoked key is refused and stays listed for the record. */
  @Prop({ type: Date })
  revokedAt?: Date;
}

export const ApiKeySchema = SchemaFactory.createForClass(ApiKey);
