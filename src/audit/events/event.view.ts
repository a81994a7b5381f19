import { ApiProperty } from '@nestjs/swagger';
import { Types } from 'mongoose';
import { AccountEvent, ACTOR_KINDS, ActorKind, EVENT_TYPES, EventType } from './event.schema';

export class EventActorView {
  @ApiProperty({
    enum: ACTOR_KINDS,
    description: 'A person, an API key, the CLI, or nobody known.',
  })
  kind!: ActorKind;

  @ApiProperty({
    description:
      'The account’s owner acted (false for an administrator, an API key, the CLI, or a sign-in attempt by nobody known).',
  })
  self!: boolean;
}

/** One entry of an account's security history, as its owner sees it. */
export class EventView {
  @ApiProperty({ example: '6660a1f09b1e8a0012345678', description: 'For `before=`, to page on.' })
  id!: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'sign_in.succeeded' })
  type!: EventType;

  @ApiProperty({ description: 'When it happened.' })
  at!: Date;

  @ApiProperty({ type: EventActorView })
  actor!: EventActorView;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description:
      'The client address of the request (behind proxies, as TRUST_PROXY allows); null when unknown, or when someone other than the owner or an anonymous sign-in attempt acted (an administrator’s address is not shown).',
  })
  ip!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The User-Agent of the request (at most 256 characters); null as for `ip`.',
  })
  userAgent!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { method: 'provider', provider: 'google' },
    description:
      'Small, non-secret facts by type: `method` and `provider` of a sign-in or creation, `reason` and `locked` of a failed sign-in, `provider` of a link, `fields` (names only) of a profile update, `scope` of a revoked session. Never a password, a token or an address.',
  })
  details!: Record<string, unknown>;
}

/** An event of `owner`'s account as its owner may see it. */
export function toEventView(event: AccountEvent, owner: Types.ObjectId): EventView {
  const { kind, id } = event.actor;
  const self = kind === 'user' && id === owner.toHexString();
  // Where an administrator, an API key or the CLI acted from is theirs, not the owner's.
  const showClient = self || kind === 'anonymous';
  return {
    id: event._id.toHexString(),
    type: event.type,
    at: event.at,
    actor: { kind, self },
    ip: (showClient && event.ip) || null,
    userAgent: (showClient && event.userAgent) || null,
    details: event.details ?? {},
  };
}
