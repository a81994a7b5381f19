import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { User } from '../users/schemas/user.schema';
import { IdentityView, toUserView, UserView } from '../users/user.view';

export class AdminIdentityView extends IdentityView {
  @ApiProperty({
    example: '110248495921238986420',
    description: "The provider's id for the person.",
  })
  subject!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'The address the provider vouched for when it was linked.',
  })
  email!: string | null;
}

/** An account as an admin sees it: what its owner sees, and how it is used. Never a secret. */
export class AdminUserView extends UserView {
  @ApiProperty({ type: [AdminIdentityView] })
  declare identities: AdminIdentityView[];

  @ApiProperty({ description: 'A disabled account cannot sign in, and has no sessions.' })
  disabled!: boolean;

  @ApiPropertyOptional({
    type: Date,
    nullable: true,
    description: 'When a session last started (a sign-in, or the registration); null before.',
  })
  lastSignInAt!: Date | null;

  @ApiProperty()
  updatedAt!: Date;
}

export class AdminUserDetailView extends AdminUserView {
  @ApiProperty({ description: 'Live sessions (browsers signed in).' })
  sessionCount!: number;
}

export class AdminUserEnvelope {
  @ApiProperty({ type: AdminUserView })
  user!: AdminUserView;
}

export class AdminUserDetailEnvelope {
  @ApiProperty({ type: AdminUserDetailView })
  user!: AdminUserDetailView;
}

export class AdminUserPage {
  @ApiProperty({ type: [AdminUserView], description: 'Newest first.' })
  users!: AdminUserView[];

  @ApiProperty({ description: 'How many accounts match, on all pages.' })
  total!: number;

  @ApiProperty()
  page!: number;

  @ApiProperty()
  limit!: number;
}

/** Built from toUserView (field by field), plus the admin's fields: no hash can slip through. */
export function toAdminUserView(user: User): AdminUserView {
  return {
    ...toUserView(user),
    identities: (user.identities ?? []).map(
      ({ provider, subject, email, linkedAt, lastUsedAt }) => ({
        provider,
        subject,
        email: email ?? null,
        linkedAt,
        lastUsedAt: lastUsedAt ?? null,
      }),
    ),
    disabled: user.disabled === true,
    lastSignInAt: user.lastSignInAt ?? null,
    updatedAt: user.updatedAt,
  };
}
