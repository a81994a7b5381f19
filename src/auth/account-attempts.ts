import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { AccountKey } from './account-key';

const WINDOW_MS = 60_000;
/** The name these counts carry in the throttler storage, apart from the per-client throttler's. */
const THROTTLER_NAME = 'account';

/**
 * Password checks per account: at most SIGN_IN_RATE_LIMIT a minute across every route that checks a
 * password, from whatever client, so spreading guesses over many addresses does not help. Past the
 * limit the account is refused for a minute. Counts live in the ThrottlerModule's storage (the one the
 * per-client limits use), so a shared store configured there counts across instances.
 */
@Injectable()
export class AccountAttempts {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  /**
   * Counts one password check on `account`. Call it before checking the password, so a refused
   * attempt costs no argon2 work. Throws `TOO_MANY_REQUESTS` (429, with `Retry-After`) when the
   * account has had its share this minute; the caller must then let the error through.
   */
  async consume(account: AccountKey): Promise<void> {
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(
      storageKey(account),
      WINDOW_MS,
      this.config.SIGN_IN_RATE_LIMIT,
      WINDOW_MS,
      THROTTLER_NAME,
    );
    if (isBlocked) {
      throw new AppError(
        'TOO_MANY_REQUESTS',
        'Too many attempts on this account. Please wait a minute and try again.',
        undefined,
        Math.max(1, timeToBlockExpire),
      );
    }
  }
}

/** Hashed, as ThrottlerGuard's keys are, so a shared store never holds emails or usernames. */
function storageKey(account: AccountKey): string {
  return createHash('sha256').update(`account-attempts:${account}`).digest('hex');
}
