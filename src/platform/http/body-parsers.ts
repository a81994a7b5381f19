import express, { Request, RequestHandler } from 'express';
import { isUtf8 } from 'node:buffer';
import { AppError } from './app-error';
import { bodyProblem } from './body-inspection';

export const BODY_LIMIT = '100kb';

/** What express's body parser reports: an http-errors error with a status and, mostly, a `type`. */
interface ParserFailure {
  status: number;
  type?: string;
}

/** The parser's client-side (4xx) failure, if that is what `error` is. */
function parserFailure(error: unknown): ParserFailure | undefined {
  if (error instanceof AppError || typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode, type } = error as Record<string, unknown>;
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499) return undefined;
  return { status: code, type: typeof type === 'string' ? type : undefined };
}

function toAppError({ status, type }: ParserFailure): AppError {
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', 'The request body is not valid JSON.');
    case 'parameters.too.many':
      return new AppError('VALIDATION_FAILED', 'The form has too many fields.');
  }
  // Anything else by its status: sizes, encodings, and bodies that cannot be read (a broken gzip
  // stream, a body shorter than its Content-Length) are the client's doing, never a 500.
  switch (status) {
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 100 kB.');
    case 415:
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported.');
    default:
      return new AppError('VALIDATION_FAILED', 'The request body could not be read.');
  }
}

/** Requests whose body, declared UTF-8, held bytes that are not: the parser read U+FFFD there. */
const notUtf8 = new WeakSet<Request>();

/** The parsers' `verify`: sees the body's bytes before they are decoded. */
function noteBytesNotUtf8(request: Request, _response: unknown, bytes: Buffer, encoding: string) {
  if (encoding === 'utf-8' && !isUtf8(bytes)) notUtf8.add(request);
}

/**
 * A body parser as one middleware function: its client-side failures become AppErrors (so the
 * exception filter answers them like any client error), and a parsed body that is too deep or not
 * well-formed text (or was not UTF-8 bytes) is refused before any code reads it. One function rather than three express
 * layers: every request passes through it.
 */
function parsedWith(parse: RequestHandler): RequestHandler {
  return (request, response, next) =>
    parse(request, response, (error?: unknown) => {
      if (error !== undefined) {
        const failure = parserFailure(error);
        return next(failure === undefined ? error : toAppError(failure));
      }
      next(bodyProblem(request.body, !notUtf8.has(request)));
    });
}

/** JSON bodies, at most 100 kB (Nest would otherwise turn bad JSON into a bare 400). */
export function jsonBody(): RequestHandler {
  return parsedWith(express.json({ limit: BODY_LIMIT, verify: noteBytesNotUtf8 }));
}

/** HTML form bodies, at most 100 kB; only the pages' routes read them (see configure-app). */
export function formBody(): RequestHandler {
  return parsedWith(
    express.urlencoded({
      extended: false,
      limit: BODY_LIMIT,
      parameterLimit: 50,
      verify: noteBytesNotUtf8,
    }),
  );
}
