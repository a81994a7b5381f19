import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { destination as pinoDestination, type DestinationStream } from 'pino';
import { HttpLogger, Options, pinoHttp } from 'pino-http';
import { redactUrl } from '../common/redact-url';
import { AppConfig } from '../config/app-config';

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
}

/** Where logs go: standard output unless a test provides a stream to read them back. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** The pino-http middleware; configure-app mounts it before anything that can answer a request. */
export const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

/** Request logs with a correlation id; cookies and credentials are never written. */
export function requestLoggerOptions(config: AppConfig): Options {
  return {
    level: config.LOG_LEVEL,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Only what is needed to follow a request: headers, query objects and redirect targets can
    // carry cookies, codes and states.
    serializers: {
      req: (request: SerializedRequest) => ({
        id: request.id,
        method: request.method,
        url: request.url && redactUrl(request.url),
        userAgent: request.headers?.['user-agent'],
        remoteAddress: request.remoteAddress,
      }),
      res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
    },
    redact: {
      paths: ['*.password', '*.passwordHash', '*.currentPassword', '*.newPassword'],
      censor: '[redacted]',
    },
    // Who made the request, once the guards know (the request line is written at the end): a
    // signed-in person's user id, or an API key's public id (never the key). Added to that line
    // only: pino-http's customProps would make a child logger for each request, signed in or not.
    customSuccessObject: (request: IncomingMessage, _response: unknown, line: object) =>
      withCaller(request, line),
    customErrorObject: (
      request: IncomingMessage,
      _response: unknown,
      _error: Error,
      line: object,
    ) => withCaller(request, line),
  };
}

/** The request log line, with the signed-in person's id, or the API key's, when there is one. */
function withCaller(request: IncomingMessage, line: object): object {
  const { auth, apiKey } = request as {
    auth?: { user?: { _id?: { toHexString(): string } } };
    apiKey?: { id: string };
  };
  const userId = auth?.user?._id;
  if (userId) return { ...line, userId: userId.toHexString() };
  return apiKey ? { ...line, apiKeyId: apiKey.id } : line;
}

export function createRequestLogger(
  config: AppConfig,
  destination?: DestinationStream,
): HttpLogger {
  // Standard output written asynchronously: a line written while the previous write is under way
  // joins the next one, so a busy service makes one system call for many lines instead of one per
  // line. Lines still buffered are written when the process exits.
  return pinoHttp(requestLoggerOptions(config), destination ?? pinoDestination({ sync: false }));
}

/**
 * nestjs-pino on top of our own pino-http middleware (its `useExisting`): its middleware, which
 * runs only once a request reaches Nest, merely hands the request's logger to Nest's Logger, and
 * logs outside requests go to the same pino instance.
 */
export function loggerParams(requestLogger: HttpLogger): Params {
  return { pinoHttp: { logger: requestLogger.logger }, useExisting: true };
}
