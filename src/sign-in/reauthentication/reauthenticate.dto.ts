import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, ValidateIf } from 'class-validator';
import { IsOptionalNotNull, IsPasswordInput } from '../../users/user-fields';

/** One proof: the account's password, or an assertion of one of its passkeys. */
export class ReauthenticateDto {
  @ApiProperty({
    description: "The account's password (or give `passkey` instead).",
    required: false,
  })
  @ValidateIf((dto: ReauthenticateDto) => dto.passkey === undefined || dto.password !== undefined)
  @IsPasswordInput('password')
  password?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      "Instead of the password: a passkey's authentication response (PublicKeyCredential as JSON) to the options of POST /auth/passkey/options. It must be one of this account's passkeys.",
  })
  @IsOptionalNotNull()
  @IsObject({ message: 'passkey must be an object' })
  passkey?: Record<string, unknown>;
}
