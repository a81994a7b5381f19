import { AppError } from '../platform/http/app-error';

/**
 * A disabled account's sign-in, once its proof was accepted (the right password, a known provider
 * identity): only someone who could otherwise sign in learns that it is disabled.
 */
export function accountDisabledError(): AppError {
  return new AppError(
    'ACCOUNT_DISABLED',
    'This account is disabled, so it cannot sign in. Contact the people who run this service.',
  );
}
