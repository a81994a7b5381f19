import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Injectable,
  Logger,
  Optional,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  DATABASE_RETRY_AFTER_SECONDS,
  isDatabaseUnavailable,
} from '../database/database-unavailable';
import { AppError, ErrorCode, ErrorCodes } from './app-error';
import { ErrorBody } from './error-body';
import { ErrorPage, ErrorPages } from './error-pages';
import { HttpAnswer } from './http-answer';
import { redactUrl } from './redact-url';

const codeForStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * The one place that turns exceptions into HTTP responses: `{ error: { code, message, field? } }`.
 * Internal failures are logged with the request id and reported without their details. A failure
 * to reach the database is not one: 503 SERVICE_UNAVAILABLE with Retry-After, the same request
 * may succeed later.
 */
@Injectable()
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() private readonly pages?: ErrorPages) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    if (exception instanceof HttpAnswer) {
      if (!response.headersSent) response.status(exception.status).json(exception.body);
      return;
    }
    const databaseUnavailable = isDatabaseUnavailable(exception);
    const error = databaseUnavailable ? this.databaseUnavailable(exception, request) : exception;
    const [status, body] = this.toResponse(error, request);
    if (response.headersSent) return;
    response.status(status);
    if (error instanceof AppError && error.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(error.retryAfterSeconds));
    }
    if (request.accepts(['json', 'html']) !== 'html') {
      response.json(body);
      return;
    }
    // A person in a browser gets a page in the pages' frame; should that fail, a bare page, and
    // should that fail too, the JSON body still goes out.
    const page: ErrorPage = {
      title: databaseUnavailable ? 'Temporarily unavailable' : 'Something went wrong',
      status,
      message: body.error.message,
      ...(databaseUnavailable && { withoutDatabase: true }),
    };
    const bare = () =>
      response.render('error', page, (renderError: Error | null, html: string) => {
        if (renderError) response.json(body);
        else response.type('html').send(html);
      });
    if (!this.pages) return bare();
    this.pages.renderError(request, response, page).catch(() => {
      if (!response.headersSent) bare();
    });
  }

  /** Logged without its stack (a known condition, one line per request), and answered 503. */
  private databaseUnavailable(exception: unknown, request: Request & { id?: string }): AppError {
    const { name, message } = exception as Error;
    this.logger.warn(
      {
        // Not under `err`: pino's error serializer would take the plain object for an Error.
        cause: { type: name, message },
        requestId: request.id !== undefined ? String(request.id) : undefined,
        method: request.method,
        url: redactUrl(request.originalUrl),
      },
      'Database unreachable: answered 503 SERVICE_UNAVAILABLE',
    );
    return new AppError(
      'SERVICE_UNAVAILABLE',
      'The service cannot reach its database right now. Please try again in a moment.',
      undefined,
      DATABASE_RETRY_AFTER_SECONDS,
    );
  }

  private toResponse(exception: unknown, request: Request & { id?: string }): [number, ErrorBody] {
    if (exception instanceof AppError) {
      return [
        exception.status,
        {
          error: this.detail(exception.code, exception.message, exception.field),
          ...exception.besideError,
        },
      ];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) {
        const code = codeForStatus[status] ?? 'VALIDATION_FAILED';
        return [status, { error: this.detail(code, this.messageOf(exception)) }];
      }
    }
    const requestId = request.id !== undefined ? String(request.id) : undefined;
    this.logger.error(
      // Redacted like the request log: a provider callback's URL carries its code and state.
      { err: exception, requestId, method: request.method, url: redactUrl(request.originalUrl) },
      'Unhandled error',
    );
    return [
      ErrorCodes.INTERNAL_ERROR,
      {
        error: {
          ...this.detail('INTERNAL_ERROR', 'Something went wrong on our side. Please try again.'),
          requestId,
        },
      },
    ];
  }

  private messageOf(exception: HttpException): string {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    if (Array.isArray(message) && typeof message[0] === 'string') return message[0];
    return exception.message;
  }

  private detail(code: ErrorCode, message: string, field?: string) {
    return field === undefined ? { code, message } : { code, message, field };
  }
}
