import { Logger } from '@nestjs/common';
import { AppError } from '../../../../platform/http/app-error';
import type { StrategyOutcome } from './run-strategy';

const logger = new Logger('Providers');

const UNREACHABLE = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
];

/** Every way a provider step can go wrong, as an error the person can act on. */
export function providerFailure(name: string, outcome: StrategyOutcome): AppError {
  switch (outcome.kind) {
    case 'timeout':
      return new AppError(
        'PROVIDER_UNAVAILABLE',
        `${name} did not answer in time. Please try again later.`,
      );
    case 'fail':
      return new AppError('PROVIDER_DENIED', `Signing in with ${name} was cancelled or refused.`);
    case 'error':
      return fromError(name, outcome.error);
    default:
      return unexpected(name);
  }
}

/** A thrown failure: network trouble, a refused code, or a provider answering nonsense. */
export function fromError(name: string, failure: unknown): AppError {
  if (failure instanceof AppError) return failure;
  const details = failure as {
    name?: string;
    code?: string;
    message?: string;
    cause?: { code?: string };
    oauthError?: { statusCode?: number; code?: string };
  };
  const networkCode = details.oauthError?.code ?? details.cause?.code ?? details.code;
  const status = details.oauthError?.statusCode;
  // Only names and codes: provider messages can quote the request, codes included.
  logger.warn({ provider: name, error: details.name, status, networkCode }, 'Provider failed');
  if (
    (networkCode && UNREACHABLE.includes(networkCode)) ||
    details.name === 'TimeoutError' ||
    details.name === 'AbortError' ||
    (status !== undefined && status >= 500)
  ) {
    return new AppError(
      'PROVIDER_UNAVAILABLE',
      `${name} is not answering right now. Please try again later.`,
    );
  }
  // A refused token exchange: the code was already used, expired, or not ours (TokenError,
  // FacebookTokenError, a 4xx).
  if (
    details.name?.endsWith('TokenError') ||
    (status !== undefined && status < 500) ||
    details.message === 'Failed to obtain access token'
  ) {
    return new AppError(
      'CODE_REJECTED',
      `${name} did not accept this sign-in (it may have expired or been used already). Please try again.`,
    );
  }
  return unexpected(name);
}

function unexpected(name: string): AppError {
  return new AppError(
    'PROVIDER_ERROR',
    `${name} answered in an unexpected way. Please try again later.`,
  );
}
