import { type Adapter, errors, type Provider } from 'oidc-provider';
import {
  DATABASE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailable,
} from '../platform/database/database-unavailable';

/**
 * A failure to reach the database as the provider's error 503 `temporarily_unavailable` (OAuth's
 * code for it), which its error handlers answer as it is (a redirect back to the app, from the
 * authorization endpoint); any other error unchanged. Left alone, the provider answers the
 * database's errors 500 `server_error`.
 */
export function temporarilyUnavailable(error: unknown): unknown {
  if (!isDatabaseUnavailable(error)) return error;
  const unavailable = new errors.TemporarilyUnavailable(
    'the service cannot reach its database right now; try again in a moment',
    { cause: error },
  );
  unavailable.status = unavailable.statusCode = 503;
  return unavailable;
}

/** Runs `operation`; a failure to reach the database becomes `temporarilyUnavailable`. */
export async function orTemporarilyUnavailable<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw temporarilyUnavailable(error);
  }
}

const ADAPTER_METHODS = [
  'upsert',
  'find',
  'findByUid',
  'findByUserCode',
  'consume',
  'destroy',
  'revokeByGrantId',
] as const;

/** `adapter`, whose failures to reach the database become `temporarilyUnavailable`. */
export function failingTemporarily(adapter: Adapter): Adapter {
  const methods = adapter as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const wrapped: Record<string, unknown> = {};
  for (const method of ADAPTER_METHODS) {
    wrapped[method] = (...args: unknown[]) =>
      orTemporarilyUnavailable(() => methods[method](...args));
  }
  return wrapped as unknown as Adapter;
}

/** The provider's 503s say when to try again, as the service's own do. */
export function sayWhenToRetry(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status === 503) ctx.set('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
  });
}
