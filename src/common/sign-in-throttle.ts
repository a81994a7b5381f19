import { UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * Limits how often one client may try to sign in or register on a route (SIGN_IN_RATE_LIMIT per
 * minute), against password guessing. Counters are kept per instance.
 */
export const SignInThrottle = () => UseGuards(ThrottlerGuard);
