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
 * string that is not well-formed text. Why it matters: strings are stored and hashed as UTF-8, and
 * encoding a lone surrogate (\ud800, written as an escape in JSON) to UTF-8 gives U+FFFD, as
 * does decoding bytes that are not UTF-8 (a surrogate encoded as CESU-8, a stray byte): two
 * different passwords would hash the same, and a stored value would not be what was sent. With
 * `bytesWereUtf8` false (the parser met such bytes and put U+FFFD in their place), the first key
 * or string with U+FFFD is the one named. A loop with its own stack, not recursion, so no input
 * can overflow it.
 */
export function bodyProblem(body: unknown, bytesWereUtf8 = true): AppError | undefined {
  const malformed = (text: string) =>
    !text.isWellFormed() || (!bytesWereUtf8 && text.includes(REPLACEMENT_CHARACTER));
  const pending: Pending[] = [{ value: body, path: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path, depth } = next;
    if (typeof value === 'string' && malformed(value)) return notWellFormed(path);
    if (typeof value !== 'object' || value === null) continue;
    if (depth === MAX_BODY_DEPTH) {
      return new AppError(
        'VALIDATION_FAILED',
        `The request body is nested too deeply (at most ${MAX_BODY_DEPTH} levels).`,
      );
    }
    const keys = Object.keys(value);
    const badKey = keys.find(malformed);
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
  return bytesWereUtf8 ? undefined : notWellFormed('');
}

const REPLACEMENT_CHARACTER = '\ufffd';

/** `address.city`, `tags.0`: how the validation pipe names nested fields too. */
function fieldPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

function notWellFormed(field: string): AppError {
  return field
    ? new AppError('VALIDATION_FAILED', `${field} is not well-formed Unicode text.`, field)
    : new AppError('VALIDATION_FAILED', 'The request body is not well-formed Unicode text.');
}
