import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptionalNotNull, IsPasswordInput } from '../../users/user-fields';

export class DeleteAccountDto {
  @ApiPropertyOptional({
    description:
      'Required when the account has a password; an account without one must have signed in within the last few minutes.',
  })
  @IsOptionalNotNull()
  @IsPasswordInput('password')
  password?: string;
}
