import { mongo } from 'mongoose';

/** What a 503 SERVICE_UNAVAILABLE's Retry-After says: the driver keeps looking for the server meanwhile. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Server errors that say this server cannot serve now, though it may shortly (it steps down, shuts
 * down, or lost its own network): those the driver's retryable reads and writes retry once.
 */
const UNAVAILABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/**
 * Whether `error` (or an error it was caused by) says the database cannot be reached right now:
 * no server found in time, a connection dropped or refused, the pool cleared after such a drop,
 * the client closed, or a server that stepped down or shuts down. A request that failed so may
 * succeed later, unchanged.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (
      cause instanceof mongo.MongoServerSelectionError ||
      cause instanceof mongo.MongoNetworkError ||
      cause instanceof mongo.MongoNotConnectedError ||
      cause instanceof mongo.MongoTopologyClosedError ||
      cause instanceof mongo.MongoServerClosedError ||
      cause instanceof mongo.MongoClientClosedError ||
      (cause instanceof mongo.MongoServerError &&
        typeof cause.code === 'number' &&
        UNAVAILABLE_SERVER_CODES.has(cause.code))
    ) {
      return true;
    }
    cause = cause.cause;
  }
  return false;
}
