import { METHOD_METADATA } from '@nestjs/common/constants';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCode, ErrorCodes } from './app-error';
import { errorResponseSchema } from './error-body';

const ERROR_CODES = 'app:errorCodes';

type Handler = (...args: unknown[]) => unknown;

/**
 * Declares the error codes a route can answer with, in the OpenAPI document: one response per
 * status, whose schema is the shared ErrorBody with `code` narrowed to those codes. Stacks: each
 * use adds codes (a guard's decorator its own, the route the rest), and on a controller it adds
 * them to every route. Errors every route of a kind can give (a malformed body or cookie, a
 * missing session, a cross-site request) are added by OpenApiDocument from the operation itself.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      declare(target, key!, descriptor, codes);
      return descriptor;
    }
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name !== 'constructor' && isRoute(method?.value))
        declare(prototype, name, method!, codes);
    }
    return target;
  }) as MethodDecorator & ClassDecorator;
}

function isRoute(value: unknown): boolean {
  return typeof value === 'function' && Reflect.hasMetadata(METHOD_METADATA, value);
}

function declare(
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  added: ErrorCode[],
): void {
  const handler = descriptor.value as Handler;
  const before = (Reflect.getMetadata(ERROR_CODES, handler) as ErrorCode[] | undefined) ?? [];
  const codes = [...new Set([...before, ...added])];
  Reflect.defineMetadata(ERROR_CODES, codes, handler);
  for (const status of new Set(added.map((code) => ErrorCodes[code]))) {
    const ofStatus = codes.filter((code) => ErrorCodes[code] === status);
    // No description here: ApiResponse would append it to the one before. OpenApiDocument writes it.
    ApiResponse({ status, schema: errorResponseSchema(ofStatus) })(target, key, descriptor);
  }
}
