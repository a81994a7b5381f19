import { ApiProperty } from '@nestjs/swagger';
import type { Session } from './session.schema';

/**
 * One signed-in browser or client as its account's owner sees it. Built field by field, so no
 * token hash (nor the record's `_id`, which for older sessions is one) can slip through.
 */
export class SessionView {
  @ApiProperty({
    example: 'q7Cq0cP1v8nS1cXo2b3ZkQ',
    description:
      'Public id, for DELETE /me/sessions/{id}. Random and unrelated to the session cookie: it does not give access.',
  })
  id!: string;

  @ApiProperty({ description: 'Whether this is the session making the request.' })
  current!: boolean;

  @ApiProperty({ description: 'When the session signed in.' })
  createdAt!: Date;

  @ApiProperty({ description: 'Its last request (recorded at most once a minute).' })
  lastSeenAt!: Date;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    description: 'The User-Agent of the sign-in (at most 256 characters).',
  })
  userAgent!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description: 'The client address of the sign-in (behind proxies, as TRUST_PROXY allows).',
  })
  ip!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'password',
    description:
      "How the session last proved who it is: 'password', a provider's key (e.g. 'google'), 'passkey', or null when unknown (sessions from before it was recorded).",
  })
  signedInWith!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['totp', 'recovery_code'],
    example: 'totp',
    description:
      "Two-step sign-in's second factor, when the session's last proof had one: 'totp' (a code of the authenticator app) or 'recovery_code'; null otherwise.",
  })
  secondFactor!: 'totp' | 'recovery_code' | null;
}

export function toSessionView(
  session: Session & { publicId: string },
  currentSessionId: string,
): SessionView {
  return {
    id: session.publicId,
    current: session._id === currentSessionId,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    userAgent: session.userAgent ?? null,
    ip: session.ip ?? null,
    signedInWith: signedInWith(session),
    secondFactor: session.secondFactor ?? null,
  };
}

function signedInWith({ method, provider }: Session): string | null {
  if (method === 'password') return 'password';
  if (method === 'provider') return provider ?? null;
  if (method === 'passkey') return 'passkey';
  return null;
}
