import type { Request } from 'express';
import type { Params } from 'nestjs-pino';
import {
  destination as pinoDestination,
  pino,
  type DestinationStream,
  type LoggerOptions,
} from 'pino';
import { AppConfig } from '../config/app-config';
import { RequestLines } from './request-lines';
import { loggedRequest, RequestLog } from './request-log';

/** Where logs go: standard output unless a test provides a stream to read them back. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** The request log (RequestLog); configure-app mounts its middleware. */
export const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

/**
 * The logger of everything but the request lines: `req` and `res` written as the request lines
 * write them, errors with pino's serializer, and credentials redacted wherever they appear.
 */
export function rootLoggerOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    serializers: {
      req: (request: Request) => loggedRequest(request),
      res: (response: { headersSent?: boolean; statusCode?: number }) => ({
        statusCode: response.headersSent ? response.statusCode : null,
      }),
    },
    redact: {
      paths: ['*.password', '*.passwordHash', '*.currentPassword', '*.newPassword'],
      censor: '[redacted]',
    },
  };
}

export function createRequestLogger(
  config: AppConfig,
  destination?: DestinationStream,
): RequestLog {
  // Standard output written asynchronously: a line written while the previous write is under way
  // joins the next one, so a busy service makes one system call for many lines instead of one per
  // line. Lines still buffered are written when the process exits.
  const stream = destination ?? pinoDestination({ sync: false });
  const root = pino(rootLoggerOptions(config), stream);
  // The request lines are built from plain values that hold no credential: neither serializers
  // nor redaction have anything to do there, and both cost each request.
  return new RequestLog(root, root.isLevelEnabled('info') ? new RequestLines(stream) : undefined);
}

/**
 * nestjs-pino for Nest's Logger, on our root logger. Its own middleware is not mounted
 * (`forRoutes: []`): RequestLog binds each request's logger instead, lazily.
 */
export function loggerParams(requestLog: RequestLog): Params {
  return { pinoHttp: { logger: requestLog.logger }, useExisting: true, forRoutes: [] };
}
