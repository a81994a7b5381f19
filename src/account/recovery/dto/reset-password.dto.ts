import { ApiProperty } from '@nestjs/swagger';
import {
  IsNewPassword,
  NEW_PASSWORD_DESCRIPTION,
} from '../../../sign-in/methods/password/new-password';
import { IsLinkToken } from '../../../email/link-token';

export class ResetPasswordDto {
  @ApiProperty({ description: 'The `token` query parameter of the link in the message.' })
  @IsLinkToken()
  token!: string;

  @ApiProperty({ description: NEW_PASSWORD_DESCRIPTION })
  @IsNewPassword('newPassword')
  newPassword!: string;
}
