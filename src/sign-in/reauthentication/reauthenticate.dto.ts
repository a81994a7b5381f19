import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import { IsOptionalNotNull, IsPasswordInput } from '../../users/user-fields';
import { SecondFactorFields } from '../two-step/dto/second-factor-fields';

/**
 * One proof: the account's password (with two-step sign-in on, and a code or a recovery code), or
 * an assertion of one of its passkeys.
 */
export class ReauthenticateDto {
  @ApiPropertyOptional({
    description:
      "The account's password, or give `passkey` instead. With two-step sign-in on, an account without a password confirms with its code alone.",
  })
  @IsOptionalNotNull()
  @IsPasswordInput('password')
  password?: string;

  /** With two-step sign-in on, a code or a recovery code is required with the password. */
  @SecondFactorFields.code()
  code?: string;

  @SecondFactorFields.recoveryCode()
  recoveryCode?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      "Instead of the password: a passkey's authentication response (PublicKeyCredential as JSON) to the options of POST /auth/passkey/options. It must be one of this account's passkeys; it needs no code.",
  })
  @IsOptionalNotNull()
  @IsObject({ message: 'passkey must be an object' })
  passkey?: Record<string, unknown>;
}
