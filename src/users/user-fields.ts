import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  IsEmail,
  IsObject,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { USERNAME_PATTERN } from './identifiers';

/** Absent is fine; null is not (it would erase the field). */
export const IsOptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

const trimmed = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

export const IsAccountEmail = () =>
  applyDecorators(
    trimmed,
    IsString({ message: 'email must be a string' }),
    MaxLength(254, { message: 'email must be at most 254 characters' }),
    IsEmail({}, { message: 'email must be a valid email address' }),
  );

export const IsUsername = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? value.trim().toLowerCase() : value,
    ),
    IsString({ message: 'username must be a string' }),
    Matches(USERNAME_PATTERN, {
      message: 'username must be 3 to 40 characters of a-z, 0-9, _ and -',
    }),
  );

export const IsDisplayName = () =>
  applyDecorators(
    trimmed,
    IsString({ message: 'name must be a string' }),
    Length(1, 100, { message: 'name must be 1 to 100 characters' }),
    Matches(/^[^\p{Cc}]*$/u, { message: 'name must not contain control characters' }),
  );

/** Shape only; the password policy (length, common passwords) is applied by the service. */
export const IsPasswordInput = (field: string) =>
  applyDecorators(
    IsString({ message: `${field} must be a string` }),
    Length(1, 1024, { message: `${field} must be 1 to 1024 characters` }),
  );

/** A name may be given, or cleared with null; absent leaves it as it is. */
export const IsOptionalNullable = () =>
  ValidateIf((_object, value) => value !== undefined && value !== null);

/**
 * Profile field values: an object whose keys and values ProfileFields checks against PROFILE_FIELDS.
 * Kept exactly as sent: class-transformer would rebuild it, silently dropping keys like __proto__.
 */
export const IsProfileData = () =>
  applyDecorators(
    Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key]),
    IsObject({ message: 'data must be an object' }),
  );

/** How the OpenAPI document shows `data`: its keys depend on the configuration. */
export const PROFILE_DATA_SCHEMA = {
  type: 'object' as const,
  additionalProperties: {
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
  },
  example: { company: 'Analytical Engines Ltd', birthday: '1815-12-10', newsletter: true },
};
