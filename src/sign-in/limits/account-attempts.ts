import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../platform/http/app-error';
import { BatchWrite } from '../../platform/database/write-batches';
import { AccountKey, namesAnAccount } from './account-key';
import { Admission, Counted, SignInFailures, signInFailureId } from './sign-in-failures';
import { SignInConfig, signInConfig } from '../sign-in-config';

/** The outcome of a password check made through AccountAttempts. */
export interface PasswordCheck {
  matches: boolean;
  /** This failure locked the account: the moment to tell its owner (for an account that exists). */
  locked: boolean;
}

/**
 * The limits on password checks per account, from whatever client, on every route that checks a
 * password, kept in MongoDB so that every instance shares them (NIST SP 800-63B):
 *  - consecutive failures: SIGN_IN_FREE_FAILURES cost nothing, each next one makes the account wait
 *    longer (doubling from SIGN_IN_FIRST_DELAY_SECONDS up to SIGN_IN_MAX_DELAY_SECONDS), and
 *    SIGN_IN_LOCK_AFTER_FAILURES lock the password until the owner resets it (clear). A success
 *    starts the count again;
 *  - at most SIGN_IN_RATE_LIMIT checks a minute, failed or not.
 * A refused check costs no argon2 work. Unknown logins are counted exactly like accounts, but their
 * records are forgotten minutes after the last check (FORGET_UNKNOWN_LOGIN_AFTER_MS) rather than 30
 * days, so that made-up logins do not fill the database.
 */
@Injectable()
export class AccountAttempts {
  constructor(
    private readonly failures: SignInFailures,
    @Inject(signInConfig.KEY) private readonly config: SignInConfig,
  ) {}

  /**
   * Checks a password of `account` with `verify` (the argon2 work), within the account's limits.
   * Throws 429 with `Retry-After` when the account must wait or has had its checks this minute
   * (`TOO_MANY_REQUESTS`) or is locked (`SIGN_IN_LOCKED`), without calling `verify`; the caller
   * must let the error through. A success sets the failures back to zero at once, or, given
   * `deferred`, adds that write to it for the caller to send with its own (a sign-in's).
   */
  async check(
    account: AccountKey,
    verify: () => Promise<boolean>,
    deferred?: BatchWrite[],
  ): Promise<PasswordCheck> {
    const id = signInFailureId(account);
    const counted: Counted = namesAnAccount(account) ? 'account' : 'unknown-login';
    const admission = await this.failures.admit(id, counted);
    if (!admission.admitted) throw this.refusal(admission);
    let matches: boolean;
    try {
      matches = await verify();
    } catch (error) {
      // No verdict (busy, or broken): not a failure of the person.
      await this.failures.release(id, counted).catch(() => undefined);
      throw error;
    }
    if (matches) {
      if (deferred) deferred.push(this.failures.forgetting(id));
      else await this.failures.forget(id);
      return { matches, locked: false };
    }
    // Counted when admitted: only the check that reached the threshold sees it exactly.
    return { matches, locked: admission.failures === this.config.SIGN_IN_LOCK_AFTER_FAILURES };
  }

  /** Forgets the account's failures and so unlocks it: for the password reset by email. */
  async clear(account: AccountKey): Promise<void> {
    await this.failures.forget(signInFailureId(account));
  }

  private refusal({ refusal, retryAt }: Extract<Admission, { admitted: false }>): AppError {
    if (refusal === 'locked') {
      // Waiting does not help; the longest wait is a hint not to retry too often.
      return new AppError(
        'SIGN_IN_LOCKED',
        'Signing in with the password is locked after too many failed attempts. Reset your password by email to unlock your account.',
        undefined,
        this.config.SIGN_IN_MAX_DELAY_SECONDS,
      );
    }
    const seconds = Math.max(1, Math.ceil(((retryAt?.getTime() ?? 0) - Date.now()) / 1000));
    const message =
      refusal === 'minute'
        ? 'Too many attempts on this account. Please wait a minute and try again.'
        : `Too many attempts on this account. Please try again in ${inWords(seconds)}.`;
    return new AppError('TOO_MANY_REQUESTS', message, undefined, seconds);
  }
}

function inWords(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
