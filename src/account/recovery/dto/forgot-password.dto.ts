import { ApiProperty } from '@nestjs/swagger';
import { IsAccountEmail } from '../../../users/user-fields';

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', description: "The account's email address." })
  @IsAccountEmail()
  email!: string;
}
