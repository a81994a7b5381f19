import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from './app-error';

export const BODY_LIMIT = '100kb';

/** Errors from express's body parser carry a `type` naming what went wrong. */
function bodyParserErrorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && typeof (error as { status?: unknown }).status === 'number'
    ? type
    : undefined;
}

function toAppError(type: string): AppError {
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 100 kB.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported.');
    default:
      return new AppError('VALIDATION_FAILED', 'The request body could not be read.');
  }
}

type ErrorHandler = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

/** Parser failures become AppErrors, so the exception filter answers them like any client error. */
const parserErrors: ErrorHandler = (error, _request, _response, next) => {
  const type = bodyParserErrorType(error);
  next(type === undefined ? error : toAppError(type));
};

/** JSON bodies, at most 100 kB (Nest would otherwise turn bad JSON into a bare 400). */
export function jsonBody(): [RequestHandler, ErrorHandler] {
  return [express.json({ limit: BODY_LIMIT }), parserErrors];
}

/** HTML form bodies, at most 100 kB; only the pages' routes read them (see configure-app). */
export function formBody(): [RequestHandler, ErrorHandler] {
  return [
    express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 50 }),
    parserErrors,
  ];
}
