import { AppError } from './app-error';

/** Deeper than any body this service reads; deeper ones only serve to exhaust the stack. */
export const MAX_BODY_DEPTH = 32;

interface Pending {
  value: unknown;
  path: string;
  depth: number;
}

/**
 * What is wrong with a parsed body, if anything: nested deeper than MAX_BODY_DEPTH, or a key or
 * string that is not well-formed UTF-16 (a lone surrogate, which UTF-8 storage and hashing would
 * silently turn into U+FFFD). A loop with its own stack, not recursion, so no input can overflow it.
 */
export function bodyProblem(body: unknown): AppError | undefined {
  const pending: Pending[] = [{ value: body, path: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string' && !value.isWellFormed()) return notWellFormed(path);
    if (typeof value !== 'object' || value === null) continue;
    if (depth === MAX_BODY_DEPTH) {
      return new AppError(
        'VALIDATION_FAILED',
        `The request body is nested too deeply (at most ${MAX_BODY_DEPTH} levels).`,
      );
    }
    const keys = Object.keys(value);
    const badKey = keys.find((key) => !key.isWellFormed());
    if (badKey !== undefined) {
      const field = fieldPath(path, badKey.toWellFormed());
      return new AppError(
        'VALIDATION_FAILED',
        `Field name "${field}" is not well-formed Unicode text.`,
        field,
      );
    }
    // Pushed last first, so the first problem in the body's own order is the one reported.
    for (const key of keys.reverse()) {
      const child = (value as Record<string, unknown>)[key];
      pending.push({ value: child, path: fieldPath(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

/** `address.city`, `tags.0`: how the validation pipe names nested fields too. */
function fieldPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function notWellFormed(field: string): AppError {
  return field
    ? new AppError('VALIDATION_FAILED', `${field} is not well-formed Unicode text.`, field)
    : new AppError('VALIDATION_FAILED', 'The request body is not well-formed Unicode text.');
}
