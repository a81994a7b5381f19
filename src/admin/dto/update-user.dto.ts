import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
import { Role, ROLES } from '../../users/schemas/user.schema';
import { UpdateProfileDto } from '../../account/dto/update-profile.dto';
import { IsOptionalNotNull } from '../../users/user-fields';

/**
 * An admin's change to an account: the owner's profile fields, checked by the same rules as
 * PATCH /me, and what only an admin may change.
 */
export class UpdateUserDto extends UpdateProfileDto {
  @ApiPropertyOptional({
    description:
      'With a new email: whether it counts as verified (default false). Alone: sets the current email verified or not.',
  })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'emailVerified must be true or false' })
  emailVerified?: boolean;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptionalNotNull()
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({
    description:
      'true: the account cannot sign in, and its sessions and the tokens of its apps end at once. false: it can sign in again.',
  })
  @IsOptionalNotNull()
  @IsBoolean({ message: 'disabled must be true or false' })
  disabled?: boolean;
}
