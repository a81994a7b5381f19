import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { EMAIL_MAX_LENGTH, HasLength, IsPasswordInput } from '../../users/user-fields';

export class LoginDto {
  @ApiProperty({
    example: 'ada',
    description: 'The email or the username of the account (an email when it contains @).',
    minLength: 1,
    maxLength: EMAIL_MAX_LENGTH,
  })
  @IsString({ message: 'login must be a string' })
  @HasLength(1, EMAIL_MAX_LENGTH, `login must be 1 to ${EMAIL_MAX_LENGTH} characters`)
  login!: string;

  @ApiProperty({ description: "The account's password." })
  @IsPasswordInput('password')
  password!: string;
}
