import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '../config/app-config';

/** Query parameters that carry credentials: provider callbacks bring a code and a state. */
const SECRET_QUERY_PARAMETERS = ['code', 'state', 'access_token', 'id_token', 'token'];

/** The URL as logged: secret query values replaced, so a log never holds a usable code. */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const query = new URLSearchParams(url.slice(queryStart + 1));
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (query.has(name)) query.set(name, 'redacted');
  }
  return `${url.slice(0, queryStart)}?${query.toString()}`;
}

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
}

/** Where logs go: standard output unless a test provides a stream to read them back. */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/** Request logs with a correlation id; cookies and credentials are never written. */
export function loggerOptions(config: AppConfig, destination?: DestinationStream): Params {
  const options = {
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
  };
  return { pinoHttp: destination ? [options, destination] : options };
}
