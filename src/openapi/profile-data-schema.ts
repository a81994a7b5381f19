import type { SchemaObject } from '@nestjs/swagger';
import type { ProfileFieldDefinition } from '../users/profile-fields/profile-field-settings';
import { trimmedTextPattern, type ProfileDataMode } from '../users/user-fields';

/** Whole numbers beyond this lose precision as JSON numbers, and are refused. */
const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * The schema of `data` for the configured PROFILE_FIELDS: one property per field, nothing else
 * (unknown keys are refused). At registration the required fields are required; an optional value
 * may be null (absent at registration, removed in an update), a required one never.
 */
export function profileDataSchema(
  definitions: readonly ProfileFieldDefinition[],
  mode: ProfileDataMode,
): SchemaObject {
  const required = definitions.filter((definition) => definition.required);
  return {
    type: 'object',
    properties: Object.fromEntries(
      definitions.map((definition) => [
        definition.key,
        { ...valueSchema(definition), ...(definition.required ? {} : { nullable: true }) },
      ]),
    ),
    ...(mode === 'register' && required.length > 0
      ? { required: required.map(({ key }) => key) }
      : {}),
    additionalProperties: false,
  };
}

/** A value as checkValue (profile-values.ts) accepts it, as closely as JSON Schema can say it. */
function valueSchema(definition: ProfileFieldDefinition): SchemaObject {
  const described = { title: definition.label };
  switch (definition.type) {
    case 'text':
      return { ...described, type: 'string', pattern: trimmedTextPattern(definition.maxLength) };
    case 'email':
      return {
        ...described,
        type: 'string',
        format: 'email',
        maxLength: definition.maxLength,
        description: 'Stored trimmed and lower-cased.',
      };
    case 'url':
      return {
        ...described,
        type: 'string',
        format: 'uri',
        pattern: '^[\\t\\n\\v\\f\\r ]*[hH][tT][tT][pP][sS]?://',
        description: `An http:// or https:// URL of at most ${definition.maxLength} characters once trimmed.`,
      };
    case 'integer':
      return {
        ...described,
        type: 'integer',
        minimum: Math.max(definition.min ?? -SAFE_INTEGER, -SAFE_INTEGER),
        maximum: Math.min(definition.max ?? SAFE_INTEGER, SAFE_INTEGER),
      };
    case 'number':
      return {
        ...described,
        type: 'number',
        ...(definition.min !== undefined ? { minimum: definition.min } : {}),
        ...(definition.max !== undefined ? { maximum: definition.max } : {}),
      };
    case 'date':
      return {
        ...described,
        type: 'string',
        format: 'date',
        pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
        ...(definition.min !== undefined || definition.max !== undefined
          ? {
              description: `From ${definition.min ?? 'any date'} to ${definition.max ?? 'any date'}.`,
            }
          : {}),
      };
    case 'boolean':
      return { ...described, type: 'boolean' };
    case 'select':
      return { ...described, type: 'string', enum: [...definition.options] };
  }
}
