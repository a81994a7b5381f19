import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import { IsDisplayName, IsOptionalNotNull } from '../../../../users/user-fields';

const RESPONSE_SCHEMA = { type: 'object', additionalProperties: true } as const;

/** An authenticator's answer to a ceremony's options, as the browser's PublicKeyCredential.toJSON() gives it. */
export const IsCredentialResponse = () => IsObject({ message: 'response must be an object' });

/** A new passkey: the registration response to options of this service, and what to call it. */
export class NewPasskeyDto {
  @ApiProperty({
    ...RESPONSE_SCHEMA,
    description:
      "The registration response (navigator.credentials.create()'s PublicKeyCredential, as JSON) to the options this service gave.",
  })
  @IsCredentialResponse()
  response!: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'Laptop',
    description: "What to call the passkey: 1–100 characters once trimmed. 'Passkey' when missing.",
  })
  @IsOptionalNotNull()
  @IsDisplayName()
  name?: string;
}

/** A passkey sign-in: the assertion to options of POST /auth/passkey/options. */
export class PasskeyAssertionDto {
  @ApiProperty({
    ...RESPONSE_SCHEMA,
    description:
      "The authentication response (navigator.credentials.get()'s PublicKeyCredential, as JSON) to the options of POST /auth/passkey/options.",
  })
  @IsCredentialResponse()
  response!: Record<string, unknown>;
}

export class RenamePasskeyDto {
  @ApiProperty({ example: 'Phone', description: '1–100 characters once trimmed.' })
  @IsDisplayName()
  name!: string;
}
