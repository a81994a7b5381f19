import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsPasswordInput } from '../../users/user-fields';

export class LoginDto {
  @ApiProperty({ example: 'ada', description: 'The email or the username of the account.' })
  @IsString({ message: 'login must be a string' })
  @Length(1, 254, { message: 'login must be 1 to 254 characters' })
  login!: string;

  @ApiProperty()
  @IsPasswordInput('password')
  password!: string;
}
