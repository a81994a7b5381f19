import { ApiProperty } from '@nestjs/swagger';
import { IsPasswordInput } from '../../users/user-fields';

export class ReauthenticateDto {
  @ApiProperty({ description: "The account's password." })
  @IsPasswordInput('password')
  password!: string;
}
