import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { mainConstraintMessage } from '../platform/http/main-constraint';

/** Messages shown next to form fields, by field name. */
export type FieldErrors = Record<string, string>;

export interface FormResult<T> {
  value: T;
  errors: FieldErrors;
  /** What the person typed (never passwords), to put back into the form. */
  typed: Record<string, string>;
}

const SECRET_FIELDS = /password/i;

/**
 * Reads an HTML form into a DTO and validates it with the same rules as the JSON API. Empty
 * fields count as absent; required ones get a plain "fill this in" message.
 */
export async function readForm<T extends object>(
  dto: ClassConstructor<T>,
  body: unknown,
  fields: { required: string[]; optional?: string[] },
): Promise<FormResult<T>> {
  const source = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const present: Record<string, string> = {};
  for (const field of [...fields.required, ...(fields.optional ?? [])]) {
    const value = source[field];
    if (typeof value === 'string' && value.trim() !== '') present[field] = value;
  }
  const value = plainToInstance(dto, present);
  const errors: FieldErrors = {};
  for (const error of await validate(value, { forbidUnknownValues: false })) {
    const message = mainConstraintMessage(error.constraints);
    if (message) errors[error.property] = sentence(message);
  }
  for (const field of fields.required) {
    if (!(field in present)) errors[field] = 'Please fill in this field.';
  }
  const typed = Object.fromEntries(
    Object.entries(present).filter(([field]) => !SECRET_FIELDS.test(field)),
  );
  return { value, errors, typed };
}

/** "email must be a valid email address" → "Email must be a valid email address." */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The string a form sent for a field, or ''. */
export function formField(body: unknown, field: string): string {
  const value =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)[field]
      : undefined;
  return typeof value === 'string' ? value : '';
}

/**
 * The form with the spaces taken out of `field`: a code copied from an app that shows it as
 * "123 456" is the same code.
 */
export function withoutSpaces(body: unknown, field: string): Record<string, unknown> {
  const source = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const value = source[field];
  return typeof value === 'string' ? { ...source, [field]: value.replace(/\s/g, '') } : source;
}
