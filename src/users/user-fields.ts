import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsObject, IsString, Matches, ValidateBy, ValidateIf } from 'class-validator';
import { emailCharacterProblem, USERNAME_MAX, USERNAME_MIN, USERNAME_PATTERN } from './identifiers';

/*
 * The rules of the fields people type, each once: the validator and the OpenAPI schema (pattern,
 * lengths, format) come from the same decorator, so the description cannot drift from what is
 * accepted. Patterns are written so that ECMAScript and Python (the usual client generators and
 * testers) read them alike: explicit character classes, no \s or \p{…}. The schema decorators set
 * constraints only; each DTO's own ApiProperty adds the description and whether it is required.
 */

/** The characters String.prototype.trim removes (ECMAScript WhiteSpace and LineTerminator). */
export const TRIMMED_CHARS =
  '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** Unicode's control characters (\p{Cc}). */
export const CONTROL_CHARS = '\\u0000-\\u001f\\u007f-\\u009f';

/**
 * Text that, once trimmed, has 1 to `max` characters and no control character: what
 * `value.trim()` followed by those checks accepts, so surrounding whitespace is allowed.
 */
export function trimmedTextPattern(max: number): string {
  const edge = `[^${TRIMMED_CHARS}${CONTROL_CHARS}]`;
  const inner = max > 1 ? `(?:[^${CONTROL_CHARS}]{0,${max - 2}}${edge})?` : '';
  return `^[${TRIMMED_CHARS}]*${edge}${inner}[${TRIMMED_CHARS}]*$`;
}

/** A MongoDB ObjectId in hex, as ids appear in the API (IsMongoId would also take `0x…`). */
export const OBJECT_ID_PATTERN = /^[0-9a-fA-F]{24}$/;

/** An id of an account or an event, as the API shows them. */
export const IsObjectId = (message: string) =>
  applyDecorators(
    ApiProperty({ type: String, pattern: OBJECT_ID_PATTERN.source }),
    Matches(OBJECT_ID_PATTERN, { message }),
  );

/** Absent is fine; null is not (it would erase the field). */
export const IsOptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

/** A name may be given, or cleared with null; absent leaves it as it is. */
export const IsOptionalNullable = () =>
  ValidateIf((_object, value) => value !== undefined && value !== null);

/**
 * A string of `min` to `max` characters, counted as JSON Schema counts them (code points); class-
 * validator's Length would not count U+FE0E and U+FE0F.
 */
export const HasLength = (min: number, max: number, message: string) =>
  ValidateBy({
    name: 'hasLength',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && [...value].length >= min && [...value].length <= max,
      defaultMessage: () => message,
    },
  });

const trimmed = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

export const EMAIL_MAX_LENGTH = 254;

/** No character that would let one address pass for another (see emailCharacterProblem). */
const HasEmailCharacters = () =>
  ValidateBy({
    name: 'hasEmailCharacters',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && emailCharacterProblem(value) === undefined,
      defaultMessage: (args) =>
        `email ${typeof args?.value === 'string' ? emailCharacterProblem(args.value) : 'must be a string'}`,
    },
  });

export const IsAccountEmail = () =>
  applyDecorators(
    ApiProperty({ type: String, format: 'email', maxLength: EMAIL_MAX_LENGTH }),
    trimmed,
    IsString({ message: 'email must be a string' }),
    HasLength(0, EMAIL_MAX_LENGTH, `email must be at most ${EMAIL_MAX_LENGTH} characters`),
    IsEmail({}, { message: 'email must be a valid email address' }),
    HasEmailCharacters(),
  );

/** What a client may send for a username: the rule, in any case of a–z, with whitespace around. */
export const USERNAME_INPUT_PATTERN = `^[${TRIMMED_CHARS}]*[A-Za-z0-9_-]{${USERNAME_MIN},${USERNAME_MAX}}[${TRIMMED_CHARS}]*$`;

export const IsUsername = () =>
  applyDecorators(
    ApiProperty({ type: String, pattern: USERNAME_INPUT_PATTERN }),
    // Lower-cases A–Z only: toLowerCase() would also turn the Kelvin sign into a plain "k".
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim().replace(/[A-Z]/g, (c) => c.toLowerCase()) : value,
    ),
    IsString({ message: 'username must be a string' }),
    Matches(USERNAME_PATTERN, {
      message: `username must be ${USERNAME_MIN} to ${USERNAME_MAX} characters of a-z, 0-9, _ and -`,
    }),
  );

export const DISPLAY_NAME_MAX_LENGTH = 100;

export const IsDisplayName = () =>
  applyDecorators(
    ApiProperty({ type: String, pattern: trimmedTextPattern(DISPLAY_NAME_MAX_LENGTH) }),
    trimmed,
    IsString({ message: 'name must be a string' }),
    HasLength(
      1,
      DISPLAY_NAME_MAX_LENGTH,
      `name must be 1 to ${DISPLAY_NAME_MAX_LENGTH} characters`,
    ),
    Matches(/^[^\p{Cc}]*$/u, { message: 'name must not contain control characters' }),
  );

export const PASSWORD_INPUT_MAX_LENGTH = 1024;

/** Shape only; the password policy (length, common passwords) is applied by the service. */
export const IsPasswordInput = (field: string) =>
  applyDecorators(
    ApiProperty({
      type: String,
      format: 'password',
      minLength: 1,
      maxLength: PASSWORD_INPUT_MAX_LENGTH,
    }),
    IsString({ message: `${field} must be a string` }),
    HasLength(
      1,
      PASSWORD_INPUT_MAX_LENGTH,
      `${field} must be 1 to ${PASSWORD_INPUT_MAX_LENGTH} characters`,
    ),
  );

/**
 * Marks where OpenApiDocument writes the configured schema of `data` (PROFILE_FIELDS): at
 * registration every required field is needed; in an update, null removes an optional value.
 */
export const PROFILE_DATA_MARK = 'x-profile-data';
export type ProfileDataMode = 'register' | 'update';

/**
 * Profile field values: an object whose keys and values ProfileFields checks against PROFILE_FIELDS.
 * Kept exactly as sent: class-transformer would rebuild it, silently dropping keys like __proto__.
 */
export const IsProfileData = (mode: ProfileDataMode) =>
  applyDecorators(
    ApiProperty({
      type: 'object',
      additionalProperties: true,
      [PROFILE_DATA_MARK]: mode,
    } as ApiPropertyOptions),
    Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key]),
    IsObject({ message: 'data must be an object' }),
  );

/** How the OpenAPI document shows an account's `data`: its keys depend on the configuration. */
export const PROFILE_DATA_SCHEMA = {
  type: 'object' as const,
  additionalProperties: {
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
  },
  example: { company: 'Analytical Engines Ltd', birthday: '1815-12-10', newsletter: true },
};
