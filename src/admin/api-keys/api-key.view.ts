import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { API_KEY_SCOPES, type ApiKeyScope } from '../admin-access';
import { ACTOR_KINDS, type ActorKind } from '../../audit/events/event.schema';
import type { ApiKey } from './api-key.schema';
import type { CreatedApiKey } from './api-keys.service';

export class ActorView {
  @ApiProperty({ enum: ACTOR_KINDS, example: 'user' })
  kind!: ActorKind;

  @ApiPropertyOptional({ description: "The user's or the API key's id; absent for the CLI." })
  id?: string;
}

/** What the API shows of a key: never its secret nor the secret's hash. */
export class ApiKeyView {
  @ApiProperty({ example: '3f9c2a71d0b84e56', description: 'The public id, also part of the key.' })
  id!: string;

  @ApiProperty({ example: 'billing-backend' })
  name!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['users:read'] })
  scopes!: ApiKeyScope[];

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({ type: ActorView, description: 'Who created it.' })
  createdBy!: ActorView;

  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'When it was last used, to within a minute; null if never.',
  })
  lastUsedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true, description: 'When it was revoked; null if live.' })
  revokedAt!: Date | null;
}

export class ApiKeyList {
  @ApiProperty({
    type: [ApiKeyView],
    description: 'Every key, newest first, revoked ones included.',
  })
  apiKeys!: ApiKeyView[];
}

/** The answer to a creation: the only time the key is shown. */
export class CreatedApiKeyView {
  @ApiProperty({ example: '3f9c2a71d0b84e56' })
  id!: string;

  @ApiProperty({ example: 'billing-backend' })
  name!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['users:read'] })
  scopes!: ApiKeyScope[];

  @ApiProperty({
    example: 'ak_3f9c2a71d0b84e56_q7Xr…',
    description:
      'The key, shown this once: send it as `Authorization: Bearer <key>`. Only its hash is kept.',
  })
  key!: string;

  @ApiProperty()
  createdAt!: Date;
}

/** Built field by field, so a secret can never slip through. */
export function toApiKeyView(key: Omit<ApiKey, 'secretHash'>): ApiKeyView {
  return {
    id: key._id,
    name: key.name,
    scopes: key.scopes,
    createdAt: key.createdAt,
    createdBy:
      key.createdBy.id === undefined
        ? { kind: key.createdBy.kind }
        : { kind: key.createdBy.kind, id: key.createdBy.id },
    lastUsedAt: key.lastUsedAt ?? null,
    revokedAt: key.revokedAt ?? null,
  };
}

export function toCreatedApiKeyView(created: CreatedApiKey): CreatedApiKeyView {
  const { id, name, scopes, key, createdAt } = created;
  return { id, name, scopes, key, createdAt };
}
