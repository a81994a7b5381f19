import { HttpStatus } from '@nestjs/common';

/** Every error the service reports, with the HTTP status it maps to. */
export const ErrorCodes = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  MALFORMED_JSON: HttpStatus.BAD_REQUEST,
  WEAK_PASSWORD: HttpStatus.BAD_REQUEST,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  INVALID_CREDENTIALS: HttpStatus.UNAUTHORIZED,
  WRONG_PASSWORD: HttpStatus.UNAUTHORIZED,
  RECENT_SIGN_IN_REQUIRED: HttpStatus.UNAUTHORIZED,
  SECOND_FACTOR_REQUIRED: HttpStatus.UNAUTHORIZED,
  WRONG_CODE: HttpStatus.UNAUTHORIZED,
  SECOND_STEP_EXPIRED: HttpStatus.UNAUTHORIZED,
  CROSS_SITE_REQUEST: HttpStatus.FORBIDDEN,
  CSRF_TOKEN_INVALID: HttpStatus.FORBIDDEN,
  ACCOUNT_DISABLED: HttpStatus.FORBIDDEN,
  ADMIN_REQUIRED: HttpStatus.FORBIDDEN,
  INSUFFICIENT_SCOPE: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  METHOD_NOT_ALLOWED: HttpStatus.METHOD_NOT_ALLOWED,
  EMAIL_TAKEN: HttpStatus.CONFLICT,
  IDENTITY_TAKEN: HttpStatus.CONFLICT,
  IDENTITY_LINKED_ELSEWHERE: HttpStatus.CONFLICT,
  PROVIDER_ALREADY_LINKED: HttpStatus.CONFLICT,
  EMAIL_BELONGS_TO_ANOTHER_ACCOUNT: HttpStatus.CONFLICT,
  LAST_LOGIN_METHOD: HttpStatus.CONFLICT,
  PASSKEY_ALREADY_REGISTERED: HttpStatus.CONFLICT,
  PASSKEY_LIMIT_REACHED: HttpStatus.CONFLICT,
  SIGN_IN_CHANGED: HttpStatus.CONFLICT,
  PASSWORD_CHANGED: HttpStatus.CONFLICT,
  LAST_ADMIN: HttpStatus.CONFLICT,
  TWO_STEP_ALREADY_ENABLED: HttpStatus.CONFLICT,
  TWO_STEP_NOT_SET_UP: HttpStatus.CONFLICT,
  TWO_STEP_NOT_ENABLED: HttpStatus.CONFLICT,
  NO_EMAIL: HttpStatus.CONFLICT,
  NOT_LINKED: HttpStatus.NOT_FOUND,
  NO_PASSWORD: HttpStatus.NOT_FOUND,
  UNKNOWN_PROVIDER: HttpStatus.NOT_FOUND,
  SESSION_NOT_FOUND: HttpStatus.NOT_FOUND,
  PASSKEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  API_KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  APP_NOT_FOUND: HttpStatus.NOT_FOUND,
  STATE_MISMATCH: HttpStatus.BAD_REQUEST,
  INVALID_TOKEN: HttpStatus.BAD_REQUEST,
  SIGN_IN_REQUEST_EXPIRED: HttpStatus.BAD_REQUEST,
  PASSKEY_REJECTED: HttpStatus.BAD_REQUEST,
  NOTHING_TO_VERIFY: HttpStatus.CONFLICT,
  PROVIDER_DENIED: HttpStatus.UNAUTHORIZED,
  CODE_REJECTED: HttpStatus.BAD_REQUEST,
  PROVIDER_ERROR: HttpStatus.BAD_GATEWAY,
  INVALID_ID_TOKEN: HttpStatus.UNAUTHORIZED,
  IDENTITY_MISMATCH: HttpStatus.UNAUTHORIZED,
  PROVIDER_UNAVAILABLE: HttpStatus.GATEWAY_TIMEOUT,
  USERNAME_TAKEN: HttpStatus.CONFLICT,
  TOO_MANY_REQUESTS: HttpStatus.TOO_MANY_REQUESTS,
  SIGN_IN_LOCKED: HttpStatus.TOO_MANY_REQUESTS,
  BUSY: HttpStatus.SERVICE_UNAVAILABLE,
  SERVICE_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  INTERNAL_ERROR: HttpStatus.INTERNAL_SERVER_ERROR,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** What some errors' bodies carry beside `error` (see ErrorBody). */
export interface BesideError {
  /** SECOND_FACTOR_REQUIRED: the second factors that finish the sign-in. */
  methods?: string[];
}

/**
 * A failure the client can act on; the exception filter turns it into `{ error: { code, message, field? } }`,
 * with `besideError`'s fields beside `error` when there are any.
 * With `retryAfterSeconds` the request may succeed later, and the response says when (`Retry-After`).
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly retryAfterSeconds?: number,
    readonly besideError?: BesideError,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ErrorCodes[this.code];
  }
}
