import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsPasswordInput } from '../../../users/user-fields';
import { PASSWORD_MAX_LENGTH, REPEATED_CHARACTER_PATTERN } from './password-policy';

/** Marks where OpenApiDocument writes the configured minimum length (PASSWORD_MIN_LENGTH). */
export const PASSWORD_POLICY_MARK = 'x-password-policy';

/**
 * A password being set: its shape is checked here, the policy by PasswordPolicy (WEAK_PASSWORD).
 * The schema states what JSON Schema can: the lengths and "not one character repeated"; the
 * lists of common passwords and the owner's identifiers are in the description.
 */
export const IsNewPassword = (field: string) =>
  applyDecorators(
    IsPasswordInput(field),
    ApiProperty({
      maxLength: PASSWORD_MAX_LENGTH,
      not: { pattern: REPEATED_CHARACTER_PATTERN },
      [PASSWORD_POLICY_MARK]: true,
    } as ApiPropertyOptions),
  );

export const NEW_PASSWORD_DESCRIPTION =
  'PASSWORD_MIN_LENGTH (15 by default) to 128 characters (code points, as sent), any characters, not one character repeated. Also refused (400 WEAK_PASSWORD): a password in the list of common or breached passwords, or one that contains the email, the part of it before the @ (from 3 characters), or the username, compared after NFKC normalisation, in any case.';
