import { applyDecorators, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiErrors } from '../../platform/http/api-errors.decorator';

/**
 * Limits how often one client (IP address) may call a route that checks a password, signs in or
 * registers: SIGN_IN_RATE_LIMIT a minute on each route, counted before the handler runs, so a
 * refused request costs no password verification. Counters live in MongoDB (MongoThrottlerStorage),
 * shared by every instance. Routes that check a password also count per account (AccountAttempts).
 */
export const SignInThrottle = () =>
  applyDecorators(UseGuards(ThrottlerGuard), ApiErrors('TOO_MANY_REQUESTS'));
