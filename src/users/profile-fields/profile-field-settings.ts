/**
 * PROFILE_FIELDS: the extra profile fields an operator defines, as a JSON array. Read once at
 * start-up; every problem names the entry (index and key) and the property at fault.
 */

export const PROFILE_FIELD_TYPES = [
  'text',
  'integer',
  'number',
  'boolean',
  'date',
  'email',
  'url',
  'select',
] as const;
export type ProfileFieldType = (typeof PROFILE_FIELD_TYPES)[number];

/** Keys name the values in `data` and MongoDB paths (`data.<key>`): no dots, no `$`. */
export const PROFILE_FIELD_KEY_PATTERN = /^[a-z][a-zA-Z0-9_]{0,39}$/;

/** The HTML forms take at most 50 fields (body-parsers.ts); the pages' own fields need the rest. */
export const MAX_PROFILE_FIELDS = 40;
export const MAX_SELECT_OPTIONS = 100;
/** maxLength's default and ceiling for text and url; email's is the account email's. */
export const TEXT_MAX_LENGTH = 1000;
export const EMAIL_MAX_LENGTH = 254;

interface FieldBase {
  key: string;
  label: string;
  /** A value must be given at registration and cannot be removed afterwards. */
  required: boolean;
}

/** min and max bound the value: numbers for integer and number, YYYY-MM-DD dates for date. */
export type ProfileFieldDefinition = FieldBase &
  (
    | { type: 'text' | 'email' | 'url'; maxLength: number }
    | { type: 'integer' | 'number'; min?: number; max?: number }
    | { type: 'date'; min?: string; max?: string }
    | { type: 'boolean' }
    | { type: 'select'; options: string[] }
  );

const PROPERTIES = ['key', 'label', 'type', 'required', 'options', 'min', 'max', 'maxLength'];

/** Names that would shadow an object's own machinery if ever used as a property. */
const RESERVED_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Whether `value` is a real calendar date written YYYY-MM-DD, from year 1 (there is no year 0, and
 * JSON Schema's `format: date`, which the OpenAPI document states, refuses it).
 */
export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  if (year < 1) return false;
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Short text for people: one line, no control characters. */
const isLabelText = (value: unknown, max: number): value is string =>
  typeof value === 'string' &&
  value.trim().length > 0 &&
  [...value.trim()].length <= max &&
  value.isWellFormed() &&
  !/\p{Cc}/u.test(value);

export function readProfileFields(raw: string | undefined): {
  fields: ProfileFieldDefinition[];
  problems: string[];
} {
  if (raw === undefined || raw.trim() === '') return { fields: [], problems: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    const reason = error instanceof Error ? ` (${error.message})` : '';
    return { fields: [], problems: [`PROFILE_FIELDS must be a JSON array${reason}`] };
  }
  if (!Array.isArray(parsed)) {
    return {
      fields: [],
      problems: ['PROFILE_FIELDS must be a JSON array of {key, label, type, …} objects'],
    };
  }
  const problems: string[] = [];
  if (parsed.length > MAX_PROFILE_FIELDS) {
    problems.push(
      `PROFILE_FIELDS: at most ${MAX_PROFILE_FIELDS} fields (got ${parsed.length}), so that the forms stay within their limit`,
    );
  }
  const fields: ProfileFieldDefinition[] = [];
  const seen = new Map<string, number>();
  parsed.forEach((entry: unknown, index) => {
    const field = readEntry(entry, index, seen, problems);
    if (field) fields.push(field);
  });
  return { fields: problems.length === 0 ? fields : [], problems };
}

function readEntry(
  entry: unknown,
  index: number,
  seen: Map<string, number>,
  problems: string[],
): ProfileFieldDefinition | undefined {
  const at = `PROFILE_FIELDS[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problems.push(`${at} must be an object {key, label, type, …}`);
    return undefined;
  }
  const given = entry as Record<string, unknown>;
  const keyText = typeof given.key === 'string' ? given.key : undefined;
  const before = problems.length;
  const report = (property: string, message: string) =>
    problems.push(
      `${at}.${property}: ${message}${property !== 'key' && keyText !== undefined ? ` (field "${keyText}")` : ''}`,
    );

  for (const property of Object.keys(given)) {
    if (!PROPERTIES.includes(property)) {
      report(property, `unknown property (known: ${PROPERTIES.join(', ')})`);
    }
  }

  const { key, label, type, required = false } = given;
  if (typeof key !== 'string') {
    report('key', 'is required: a name such as "company"');
  } else if (!PROFILE_FIELD_KEY_PATTERN.test(key)) {
    report(
      'key',
      `must start with a-z and have at most 40 letters, digits and _ (got ${JSON.stringify(key)})`,
    );
  } else if (RESERVED_KEYS.has(key)) {
    report('key', `"${key}" is reserved; choose another key`);
  } else if (seen.has(key)) {
    report('key', `"${key}" is the key of PROFILE_FIELDS[${seen.get(key)}] already`);
  } else {
    seen.set(key, index);
  }
  if (!isLabelText(label, 100)) {
    report('label', 'is required: 1 to 100 characters on one line');
  }
  if (!(PROFILE_FIELD_TYPES as readonly unknown[]).includes(type)) {
    report(
      'type',
      `must be one of ${PROFILE_FIELD_TYPES.join(', ')} (got ${JSON.stringify(type) ?? 'nothing'})`,
    );
  }
  if (typeof required !== 'boolean') report('required', 'must be true or false');
  // The type decides which other properties make sense; without one they cannot be judged.
  if (!(PROFILE_FIELD_TYPES as readonly unknown[]).includes(type)) return undefined;

  const base = {
    key: key as string,
    label: typeof label === 'string' ? label.trim() : '',
    required: required === true,
  };
  const field = readTypeSettings(type as ProfileFieldType, given, base, report);
  return problems.length === before ? field : undefined;
}

/** The settings that only some types have: options, min and max, maxLength. */
function readTypeSettings(
  type: ProfileFieldType,
  given: Record<string, unknown>,
  base: FieldBase,
  report: (property: string, message: string) => void,
): ProfileFieldDefinition | undefined {
  const bounded = type === 'integer' || type === 'number' || type === 'date';
  const textual = type === 'text' || type === 'email' || type === 'url';
  for (const property of ['min', 'max'] as const) {
    if (given[property] !== undefined && !bounded) {
      report(
        property,
        'only integer, number and date fields have bounds (the length of text is maxLength)',
      );
    }
  }
  if (given.maxLength !== undefined && !textual) {
    report('maxLength', 'only text, email and url fields have a maxLength');
  }
  if (given.options !== undefined && type !== 'select') {
    report('options', 'only a select has options');
  }
  switch (type) {
    case 'text':
    case 'email':
    case 'url': {
      const ceiling = type === 'email' ? EMAIL_MAX_LENGTH : TEXT_MAX_LENGTH;
      const { maxLength = ceiling } = given;
      if (
        typeof maxLength !== 'number' ||
        !Number.isInteger(maxLength) ||
        maxLength < 1 ||
        maxLength > ceiling
      ) {
        report('maxLength', `must be a whole number from 1 to ${ceiling}`);
        return undefined;
      }
      return { ...base, type, maxLength };
    }
    case 'integer':
    case 'number': {
      const isBound = (value: unknown): value is number =>
        type === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value);
      const bounds = readBounds(
        given,
        isBound,
        `must be ${type === 'integer' ? 'a whole number' : 'a number'}`,
        report,
      );
      return bounds && { ...base, type, ...bounds };
    }
    case 'date': {
      const isBound = (value: unknown): value is string =>
        typeof value === 'string' && isIsoDate(value);
      const bounds = readBounds(given, isBound, 'must be a date written YYYY-MM-DD', report);
      return bounds && { ...base, type, ...bounds };
    }
    case 'boolean':
      return { ...base, type };
    case 'select': {
      const options = readOptions(given.options, report);
      return options && { ...base, type, options };
    }
    default:
      return undefined;
  }
}

function readBounds<T extends number | string>(
  given: Record<string, unknown>,
  isBound: (value: unknown) => value is T,
  wrongType: string,
  report: (property: string, message: string) => void,
): { min?: T; max?: T } | undefined {
  const { min, max } = given;
  let ok = true;
  for (const [property, value] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (value !== undefined && !isBound(value)) {
      report(property, wrongType);
      ok = false;
    }
  }
  if (!ok) return undefined;
  if (min !== undefined && max !== undefined && (max as T) < (min as T)) {
    report('max', 'must not be less than min');
    return undefined;
  }
  return {
    ...(min !== undefined && { min: min as T }),
    ...(max !== undefined && { max: max as T }),
  };
}

function readOptions(
  options: unknown,
  report: (property: string, message: string) => void,
): string[] | undefined {
  if (options === undefined || (Array.isArray(options) && options.length === 0)) {
    report('options', 'a select needs at least one option');
    return undefined;
  }
  if (!Array.isArray(options) || !options.every((option) => isLabelText(option, 100))) {
    report('options', 'must be an array of texts of 1 to 100 characters on one line');
    return undefined;
  }
  const trimmed = options.map((option: string) => option.trim());
  if (trimmed.length > MAX_SELECT_OPTIONS) {
    report('options', `at most ${MAX_SELECT_OPTIONS} options`);
    return undefined;
  }
  const twice = trimmed.find((option, index) => trimmed.indexOf(option) !== index);
  if (twice !== undefined) {
    report('options', `"${twice}" is listed twice`);
    return undefined;
  }
  return trimmed;
}
