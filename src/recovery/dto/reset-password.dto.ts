import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsPasswordInput } from '../../users/user-fields';

export class ResetPasswordDto {
  @ApiProperty({ description: 'The `token` query parameter of the link in the message.' })
  @IsString({ message: 'token must be a string' })
  @MaxLength(256, { message: 'token is too long' })
  token!: string;

  @ApiProperty({ description: 'The new password; the password policy applies.' })
  @IsPasswordInput('newPassword')
  newPassword!: string;
}
