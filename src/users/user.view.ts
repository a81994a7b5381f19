import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Role, ROLES, User } from './schemas/user.schema';

/** What the API shows of an account. Built field by field, so secrets can never slip through. */
export class UserView {
  @ApiProperty({ example: '665f1c2e9b1e8a0012345678' })
  id!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'ada@example.com' })
  email!: string | null;

  @ApiProperty({ example: 'ada' })
  username!: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Ada Lovelace' })
  name!: string | null;

  @ApiProperty({ description: 'Whether the account can sign in with a password.' })
  hasPassword!: boolean;

  @ApiProperty({ type: [String], example: ['google'], description: 'Linked login providers.' })
  providers!: string[];

  @ApiProperty({ enum: ROLES })
  role!: Role;

  @ApiProperty()
  createdAt!: Date;
}

export class UserEnvelope {
  @ApiProperty({ type: UserView })
  user!: UserView;
}

export function toUserView(user: User): UserView {
  return {
    id: user._id.toHexString(),
    email: user.email ?? null,
    username: user.username,
    name: user.name ?? null,
    hasPassword: typeof user.passwordHash === 'string',
    providers: Object.keys(user.providers ?? {}).filter(
      (key) => typeof user.providers[key] === 'string',
    ),
    role: user.role,
    createdAt: user.createdAt,
  };
}
