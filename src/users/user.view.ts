import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProfileData, profileDataOf } from './profile-data';
import { Role, ROLES, User } from './schemas/user.schema';
import { PROFILE_DATA_SCHEMA } from './user-fields';

export class IdentityView {
  @ApiProperty({ example: 'google', description: 'The provider key, as in /auth/{key}.' })
  provider!: string;

  @ApiProperty()
  linkedAt!: Date;

  @ApiPropertyOptional({
    type: Date,
    nullable: true,
    description: 'The last sign-in through it.',
  })
  lastUsedAt!: Date | null;
}

/** What the API shows of an account. Built field by field, so secrets can never slip through. */
export class UserView {
  @ApiProperty({ example: '665f1c2e9b1e8a0012345678' })
  id!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({
    description:
      'Whether the owner proved control of the email (a link sent to it, or a provider that vouched for it).',
  })
  emailVerified!: boolean;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: null,
    description: 'An email change waiting for the new address to be confirmed.',
  })
  pendingEmail!: string | null;

  @ApiProperty({ example: 'ada' })
  username!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ada Lovelace' })
  name!: string | null;

  @ApiProperty({ description: 'Whether the account can sign in with a password.' })
  hasPassword!: boolean;

  @ApiProperty({
    type: [String],
    example: ['google'],
    description: 'Keys of the linked providers.',
  })
  providers!: string[];

  @ApiProperty({ type: [IdentityView], description: 'The linked provider accounts.' })
  identities!: IdentityView[];

  @ApiProperty({
    example: 1,
    description: 'How many passkeys the account has (GET /me/passkeys lists them).',
  })
  passkeys!: number;

  @ApiProperty({ enum: ROLES })
  role!: Role;

  @ApiProperty({
    ...PROFILE_DATA_SCHEMA,
    description:
      'The values of the profile fields (GET /profile-fields lists them; their keys depend on the configuration). {} when there are none.',
  })
  data!: ProfileData;

  @ApiProperty()
  createdAt!: Date;
}

export class UserEnvelope {
  @ApiProperty({ type: UserView })
  user!: UserView;
}

export function toUserView(user: User): UserView {
  const identities = user.identities ?? [];
  return {
    id: user._id.toHexString(),
    email: user.email ?? null,
    emailVerified: user.email !== undefined && user.emailVerified === true,
    pendingEmail: user.pendingEmail ?? null,
    username: user.username,
    name: user.name ?? null,
    hasPassword: typeof user.passwordHash === 'string',
    providers: identities.map(({ provider }) => provider),
    identities: identities.map(({ provider, linkedAt, lastUsedAt }) => ({
      provider,
      linkedAt,
      lastUsedAt: lastUsedAt ?? null,
    })),
    passkeys: user.passkeys?.length ?? 0,
    role: user.role,
    data: profileDataOf(user),
    createdAt: user.createdAt,
  };
}
