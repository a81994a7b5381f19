import { ApiProperty } from '@nestjs/swagger';

/** An app that holds a grant of the account, as its owner sees it (GET /me/apps). */
export class AppView {
  @ApiProperty({ example: 'notes', description: 'The app (its OpenID Connect client_id).' })
  clientId!: string;

  @ApiProperty({
    example: 'Notes',
    description: "The app's name (its client_name), or its client_id when it has none.",
  })
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['openid', 'email', 'profile'],
    description:
      "What the app may see: the scopes granted (openid, profile, email, data, offline_access, and APIs' scopes).",
  })
  scopes!: string[];

  @ApiProperty({ description: 'When the account first granted it access (of its live grants).' })
  grantedAt!: Date;

  @ApiProperty({
    type: Date,
    nullable: true,
    description: 'When a token was last issued or refreshed for the app; null if none was yet.',
  })
  lastUsedAt!: Date | null;
}

export class AppsView {
  @ApiProperty({ type: [AppView], description: 'Newest grant first.' })
  apps!: AppView[];
}
