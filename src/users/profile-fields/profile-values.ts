import { isEmail, isURL } from 'class-validator';
import { isIsoDate, ProfileFieldDefinition } from './profile-field-settings';
import { normaliseEmail } from '../identifiers';
import type { ProfileDataChanges, ProfileValue } from '../profile-data';

/** Why a value is refused, said of its field: "must be a whole number", "is required". */
export interface ProfileProblem {
  /** `data.<key>`, as errors name it. */
  field: string;
  /** The field's definition; undefined when the key is not a profile field. */
  definition?: ProfileFieldDefinition;
  reason: string;
}

export const REQUIRED = 'is required';

/** The message of the API's VALIDATION_FAILED error for a problem. */
export function problemMessage({ field, definition, reason }: ProfileProblem): string {
  return definition ? `${field} ${reason}` : `Unknown field "${field}".`;
}

type Checked = { value: ProfileValue } | { reason: string };

/**
 * Checks `data` as a client sent it: an object whose keys are profile fields and whose values have
 * their field's type (no conversion: "42" is not an integer), normalised for storage. null removes
 * an optional value; at registration every required field needs a value. Returns every problem,
 * unknown keys first, then the fields in their configured order.
 */
export function checkProfileData(
  definitions: readonly ProfileFieldDefinition[],
  input: unknown,
  mode: 'register' | 'update',
): { changes: ProfileDataChanges; problems: ProfileProblem[] } {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { changes: {}, problems: [{ field: 'data', reason: 'must be an object' }] };
  }
  const given = input as Record<string, unknown>;
  const byKey = new Map(definitions.map((definition) => [definition.key, definition]));
  // Own keys only, compared with a Map: "__proto__" or "constructor" are just unknown keys.
  const problems: ProfileProblem[] = Object.keys(given)
    .filter((key) => !byKey.has(key))
    .map((key) => ({ field: `data.${key}`, reason: 'is not a profile field' }));
  const changes: ProfileDataChanges = {};
  for (const definition of definitions) {
    const field = `data.${definition.key}`;
    const value = Object.hasOwn(given, definition.key) ? given[definition.key] : undefined;
    if (value === undefined || value === null) {
      if (definition.required && (mode === 'register' || value === null)) {
        problems.push({ field, definition, reason: REQUIRED });
      } else if (value === null && mode === 'update') {
        changes[definition.key] = null;
      }
      continue;
    }
    const checked = checkValue(definition, value);
    if ('reason' in checked) problems.push({ field, definition, reason: checked.reason });
    else changes[definition.key] = checked.value;
  }
  return { changes, problems };
}

/** One value against its definition: the value to store, or why it is refused. */
export function checkValue(definition: ProfileFieldDefinition, value: unknown): Checked {
  switch (definition.type) {
    case 'text':
    case 'email':
    case 'url':
      return checkText(definition, value);
    case 'integer':
    case 'number': {
      const whole = definition.type === 'integer';
      const fits = whole ? Number.isSafeInteger(value) : Number.isFinite(value);
      if (typeof value !== 'number' || !fits) {
        return { reason: whole ? 'must be a whole number' : 'must be a number' };
      }
      return withinBounds(definition, value === 0 ? 0 : value); // -0 is stored as 0
    }
    case 'date':
      if (typeof value !== 'string' || !isIsoDate(value)) {
        return { reason: 'must be a date written YYYY-MM-DD' };
      }
      return withinBounds(definition, value);
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { reason: 'must be true or false' };
    case 'select':
      return typeof value === 'string' && definition.options.includes(value)
        ? { value }
        : { reason: `must be one of ${definition.options.map((o) => `"${o}"`).join(', ')}` };
  }
}

function checkText(
  definition: ProfileFieldDefinition & { type: 'text' | 'email' | 'url' },
  value: unknown,
): Checked {
  if (typeof value !== 'string') return { reason: 'must be a string' };
  if (!value.isWellFormed()) return { reason: 'is not well-formed Unicode text' };
  if (/\p{Cc}/u.test(value.trim())) return { reason: 'must not contain control characters' };
  const text = definition.type === 'email' ? normaliseEmail(value) : value.trim();
  if (text === '') return { reason: 'must not be empty (null removes a value)' };
  if ([...text].length > definition.maxLength) {
    return { reason: `must be at most ${definition.maxLength} characters` };
  }
  if (definition.type === 'email' && !isEmail(text)) {
    return { reason: 'must be a valid email address' };
  }
  if (definition.type === 'url' && !isHttpUrl(text)) {
    return { reason: 'must be an http or https URL' };
  }
  return { value: text };
}

function isHttpUrl(text: string): boolean {
  if (!isURL(text, { protocols: ['http', 'https'], require_protocol: true })) return false;
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

function withinBounds<T extends number | string>(
  definition: { type: string; min?: T; max?: T },
  value: T,
): Checked {
  const date = definition.type === 'date';
  if (definition.min !== undefined && value < definition.min) {
    return { reason: `must be ${date ? 'on or after' : 'at least'} ${definition.min}` };
  }
  if (definition.max !== undefined && value > definition.max) {
    return { reason: `must be ${date ? 'on or before' : 'at most'} ${definition.max}` };
  }
  return { value };
}
