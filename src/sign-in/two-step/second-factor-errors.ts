import { AppError } from '../../platform/http/app-error';
import { SECOND_FACTORS } from './second-factor';

/** 401 SECOND_FACTOR_REQUIRED, with the second factors that finish the sign-in beside `error`. */
export function secondFactorRequiredError(
  message = 'Your account has two-step sign-in: finish signing in with a code from your authenticator app, or a recovery code (POST /auth/second-factor).',
  field?: string,
): AppError {
  return new AppError('SECOND_FACTOR_REQUIRED', message, field, undefined, {
    methods: [...SECOND_FACTORS],
  });
}

/** No pending second step (none started, five wrong codes, or its five minutes are over). */
export function secondStepExpiredError(): AppError {
  return new AppError(
    'SECOND_STEP_EXPIRED',
    'This sign-in is no longer waiting for a code (it expired, or too many wrong codes were given). Sign in again.',
  );
}
