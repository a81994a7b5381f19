import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Store, storage } from 'nestjs-pino/storage';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { redactUrl } from '../http/redact-url';
import { RequestLines } from './request-lines';

/**
 * The request as logged: only what is needed to follow it (headers and query objects can carry
 * cookies, codes and states).
 */
export interface LoggedRequest {
  id: unknown;
  method: string;
  url: string;
  userAgent?: string;
  remoteAddress?: string;
}

/** The request as every log line made during it shows it (see RequestLog). */
export function loggedRequest(request: Request): LoggedRequest {
  return {
    id: request.id,
    method: request.method,
    url: redactUrl(request.originalUrl ?? request.url),
    userAgent: request.headers['user-agent'],
    remoteAddress: request.socket?.remoteAddress,
  };
}

/** A caller's X-Request-Id is kept when it looks like one. */
const REQUEST_ID = /^[\w.-]{1,64}$/;

/** The request's correlation id: the caller's X-Request-Id when plausible, else a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

interface LoggedRequestState extends Request {
  auth?: { user?: { _id?: { toHexString(): string } } };
  apiKey?: { id: string };
}

/**
 * One line per request once it is answered (or its connection closed): "request completed", or
 * "request errored" with the error for a 5xx. Lines logged while a request is handled (Nest's
 * Logger, through nestjs-pino) carry the request too.
 *
 * The line says what pino-http's said, built from plain values: no child logger per request, no
 * serializers and no redaction pass over values that cannot hold a credential (RequestLines).
 */
export class RequestLog {
  constructor(
    /** The logger of everything else (serializers, redaction). */
    readonly logger: Logger,
    /** The "request completed" lines; undefined when LOG_LEVEL is above info. */
    private readonly lines: RequestLines | undefined,
  ) {}

  /** Writes the request lines still waiting (RequestLines), for a reader that wants them now. */
  flush(): void {
    this.lines?.flush();
  }

  /** Mounted before anything that can answer, so that every request gets its line. */
  readonly middleware: RequestHandler = (request, response, next) => {
    const req = request as LoggedRequestState;
    // pino-http's rule, kept: an id given by an earlier middleware stays.
    if (!req.id) req.id = requestIdOf(request);
    const started = Date.now();
    let done = false;
    const complete = (error?: unknown) => {
      if (done) return;
      done = true;
      this.complete(req, response, Date.now() - started, error);
    };
    // Whichever comes first: done (`close` follows `finish` on every response, and also comes
    // when the connection closed before the answer), or the response failed.
    response.on('close', complete);
    response.on('error', complete);
    next();
  };

  /**
   * Mounted after the body parsers (a context opened before them would be lost in their stream
   * callbacks): Nest's Logger, through nestjs-pino, writes lines with the request's `req`. The
   * request's logger is made only if something logs.
   */
  readonly bind: RequestHandler = (request, _response, next: NextFunction) => {
    storage.run(new RequestLoggerStore(this.logger, request), next);
  };

  private complete(
    request: LoggedRequestState,
    response: Response,
    responseTime: number,
    error: unknown,
  ): void {
    if (error !== undefined || response.statusCode >= 500) {
      // Rare, and as pino-http wrote it: the request and the response through the root logger's
      // serializers, the error through pino's.
      const err = error ?? new Error(`failed with status code ${response.statusCode}`);
      this.logger
        .child({ req: request })
        .info(withCaller(request, { res: response, err, responseTime }), 'request errored');
      return;
    }
    if (!this.lines) return;
    this.lines.write(
      withCaller(request, {
        req: loggedRequest(request),
        res: { statusCode: response.headersSent ? response.statusCode : null },
        responseTime,
      }),
      'request completed',
    );
  }
}

/** The line, with the signed-in person's id or the API key's public id (never the key). */
function withCaller<T extends object>(
  request: LoggedRequestState,
  line: T,
): T & { userId?: string; apiKeyId?: string } {
  const userId = request.auth?.user?._id;
  if (userId) return { ...line, userId: userId.toHexString() };
  return request.apiKey ? { ...line, apiKeyId: request.apiKey.id } : line;
}

/** nestjs-pino's per-request store, whose child logger is made on first use. */
class RequestLoggerStore implements Store {
  private child?: Logger;
  responseLogger?: Logger;

  constructor(
    private readonly root: Logger,
    private readonly request: Request,
  ) {}

  get logger(): Logger {
    return (this.child ??= this.root.child({ req: this.request }));
  }

  /** PinoLogger.assign replaces it with a child of its own. */
  set logger(logger: Logger) {
    this.child = logger;
  }
}
