import { ApiProperty } from '@nestjs/swagger';

export class ConnectionView {
  @ApiProperty({ example: 'google' })
  key!: string;

  @ApiProperty({ example: 'Google' })
  name!: string;

  @ApiProperty()
  linked!: boolean;

  @ApiProperty({ description: 'False when disconnecting would leave no way to sign in.' })
  canUnlink!: boolean;
}

export class PasswordStateView {
  @ApiProperty()
  set!: boolean;

  @ApiProperty({ description: 'False when removing it would leave no way to sign in.' })
  canRemove!: boolean;
}

/** Every enabled provider and the password, with what may be removed under the never-lock-out rule. */
export class ConnectionsView {
  @ApiProperty({ type: [ConnectionView] })
  connections!: ConnectionView[];

  @ApiProperty({ type: PasswordStateView })
  password!: PasswordStateView;
}
