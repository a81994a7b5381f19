import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from './app-error';
import { MAX_BODY_DEPTH } from './body-inspection';
import { mainConstraintMessage } from './main-constraint';

/** Path of the first failing property, e.g. `address.city`, and its first message. */
function firstProblem(
  errors: ValidationError[],
  parent = '',
): { field: string; message: string } | undefined {
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const message = mainConstraintMessage(error.constraints);
    if (message !== undefined) return { field, message };
    const nested = firstProblem(error.children ?? [], field);
    if (nested) return nested;
  }
  return undefined;
}

const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * The path of the first reserved key in a body (`__proto__`, `data.constructor`), a level's own
 * keys before those nested in it. Bodies are at most MAX_BODY_DEPTH deep (checked on parsing).
 */
function reservedKeyPath(value: unknown, parent = '', depth = 0): string | undefined {
  if (typeof value !== 'object' || value === null || depth > MAX_BODY_DEPTH) return undefined;
  const path = (key: string) => (parent ? `${parent}.${key}` : key);
  const reserved = RESERVED_KEYS.find((key) => Object.hasOwn(value, key));
  if (reserved) return path(reserved);
  for (const [key, child] of Object.entries(value)) {
    const nested = reservedKeyPath(child, path(key), depth + 1);
    if (nested) return nested;
  }
  return undefined;
}

/**
 * Validates every body against its DTO: unknown fields are refused, values are transformed to
 * their declared types, and the error names the first field that is wrong.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => {
        const problem = firstProblem(errors) ?? {
          field: undefined,
          message: 'Invalid request body.',
        };
        const message = problem.message.replace(
          /^property (\S+) should not exist$/,
          'Unknown field "$1".',
        );
        return new AppError('VALIDATION_FAILED', message, problem.field);
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDtoBody = metadata.type === 'body' && typeof metadata.metatype === 'function';
    // A request without a body is validated as an empty object, so the error names the missing field.
    if (isDtoBody && value === undefined) value = {};
    if (isDtoBody && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new AppError('VALIDATION_FAILED', 'The request body must be a JSON object.');
    }
    // Nest's pipe and class-transformer silently drop these keys, also nested ones (in `data`):
    // refuse them like any other unknown field.
    const reserved = isDtoBody && reservedKeyPath(value);
    if (reserved) {
      throw new AppError('VALIDATION_FAILED', `Unknown field "${reserved}".`, reserved);
    }
    return super.transform(value, metadata);
  }
}
