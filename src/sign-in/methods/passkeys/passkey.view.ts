import { ApiProperty } from '@nestjs/swagger';
import type { Passkey } from '../../../users/schemas/user.schema';

/** A passkey as its owner sees it: never its credential id or public key. */
export class PasskeyView {
  @ApiProperty({ example: 'Xq3v9kQ2bT1mZ8yW0cR4uA', description: 'For /me/passkeys/{id}.' })
  id!: string;

  @ApiProperty({ example: 'Laptop' })
  name!: string;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'Its last sign-in; null before the first.',
  })
  lastUsedAt!: Date | null;

  @ApiProperty({
    description:
      'Whether its provider syncs it (a passkey in a password manager or cloud keychain).',
  })
  backedUp!: boolean;

  @ApiProperty({
    type: [String],
    example: ['internal', 'hybrid'],
    description: 'How a browser may reach it, as the browser said when it was added.',
  })
  transports!: string[];
}

export class PasskeyEnvelope {
  @ApiProperty({ type: PasskeyView })
  passkey!: PasskeyView;
}

export class PasskeyList {
  @ApiProperty({ type: [PasskeyView], description: 'In the order they were added.' })
  passkeys!: PasskeyView[];
}

/** Built field by field, so no key material can slip through. */
export function toPasskeyView(passkey: Passkey): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt,
    lastUsedAt: passkey.lastUsedAt ?? null,
    backedUp: passkey.backedUp,
    transports: passkey.transports ?? [],
  };
}
