import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model, Types } from 'mongoose';
import { Migrations } from '../../platform/database/migrations';
import { AppError } from '../../platform/http/app-error';
import { BatchWrite } from '../../platform/database/write-batches';
import { BlockMemory } from '../../platform/rate-limits/block-memory';
import type { User } from '../../users/schemas/user.schema';
import { UsersRepository } from '../../users/users.repository';
import {
  AccountKey,
  accountKeyOfLogin,
  accountKeyOfUser,
  namesAnAccount,
  userIdOf,
} from './account-key';
import { moveAccountCounts } from './account-counts.migration';
import { Admission, CheckCounts, Counted } from './check-counts';
import { SignInFailure } from './sign-in-failure.schema';
import { SignInFailures, signInFailureId } from './sign-in-failures';
import { SignInConfig, signInConfig } from '../sign-in-config';

/** The outcome of a password check made through AccountAttempts. */
export interface PasswordCheck {
  matches: boolean;
  /** This failure locked the account: the moment to tell its owner (for an account that exists). */
  locked: boolean;
}

/** The outcome of a sign-in's check by login: also the account the login names, if any. */
export interface LoginCheck extends PasswordCheck {
  user: User | null;
}

/**
 * How long an instance refuses a locked account from memory: a lock has no end of its own, and a
 * reset by email on another instance must take effect here soon.
 */
export const REMEMBER_LOCK_MS = 60_000;

/** A refusal this instance remembers (until its wait or minute ends, a lock for REMEMBER_LOCK_MS). */
interface RememberedRefusal {
  refusal: Extract<Admission, { admitted: false }>;
  /** For a login's entry: the account it named, whose own entry must still be there. */
  account?: AccountKey;
}

/** Where an admitted check's counts live, to take it back or start them again. */
interface CountsStore {
  forget(): Promise<void>;
  forgetting(): BatchWrite;
  release(): Promise<void>;
}

/**
 * The limits on password checks per account, from whatever client, on every route that checks a
 * password, kept in MongoDB so that every instance shares them (NIST SP 800-63B):
 *  - consecutive failures: SIGN_IN_FREE_FAILURES cost nothing, each next one makes the account wait
 *    longer (doubling from SIGN_IN_FIRST_DELAY_SECONDS up to SIGN_IN_MAX_DELAY_SECONDS), and
 *    SIGN_IN_LOCK_AFTER_FAILURES lock the password until the owner resets it (clear). A success
 *    starts the count again;
 *  - at most SIGN_IN_RATE_LIMIT checks a minute, failed or not.
 * An account's counts live on its own record (`signInChecks`), so that a sign-in finds the account
 * by its login and admits the check in one update (CheckCounts). A login that matches no account is
 * counted exactly alike in `sign_in_failures`, while its password verification runs (so the answer
 * takes as long), its record forgotten minutes after the last check (FORGET_UNKNOWN_LOGIN_AFTER_MS)
 * so that made-up logins do not fill the database. A refused check of an account costs no argon2
 * work, and once refused, an account (by its id and by the login typed) is refused from this
 * instance's memory until its wait or minute ends, with no round trip; a lock is remembered for
 * REMEMBER_LOCK_MS.
 */
@Injectable()
export class AccountAttempts implements OnModuleInit {
  /** The refusals this instance has seen, by account key (`user:…` and `login:…`). */
  readonly blocks = new BlockMemory<RememberedRefusal>();
  private readonly counts: CheckCounts;

  constructor(
    private readonly failures: SignInFailures,
    private readonly users: UsersRepository,
    @Inject(signInConfig.KEY) private readonly config: SignInConfig,
    private readonly migrations: Migrations,
    @InjectModel(SignInFailure.name) private readonly failureRecords: Model<SignInFailure>,
  ) {
    this.counts = new CheckCounts(config, 'signInChecks.');
  }

  async onModuleInit(): Promise<void> {
    await this.migrations.once('sign-in limits: accounts keep their own counts', () =>
      moveAccountCounts(this.users, this.failureRecords),
    );
  }

  /**
   * A sign-in's check: finds the account `login` names and admits the check in one update, then
   * checks the password with `verify` (the argon2 work; given no account, it must cost as much).
   * Throws as check() does when refused. A success's reset of the failures is added to what
   * `deferFor` gives for the account (the caller sends it with its own writes), or sent at once
   * when it gives nothing.
   */
  async checkLogin(
    login: string,
    verify: (user: User | null, key: AccountKey, signal?: AbortSignal) => Promise<boolean>,
    deferFor: (user: User | null) => BatchWrite[] | undefined,
  ): Promise<LoginCheck> {
    const loginKey = accountKeyOfLogin(login);
    this.refuseRemembered(loginKey);
    const admitted = await this.admitLogin(login, loginKey);
    if (admitted === null) {
      const check = await this.checkUnknownLogin(loginKey, (signal) =>
        verify(null, loginKey, signal),
      );
      return { ...check, user: null };
    }
    const { user, key, admission, store } = admitted;
    if (!admission.admitted) {
      this.remember(key, admission);
      if (key !== loginKey) this.remember(loginKey, admission, key);
      throw this.refusal(admission);
    }
    const check = await this.verdict(admission, store, () => verify(user, key), deferFor(user));
    return { ...check, user };
  }

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
    this.refuseRemembered(account);
    const { admission, store } = await this.admitKey(account);
    if (!admission.admitted) {
      this.remember(account, admission);
      throw this.refusal(admission);
    }
    return this.verdict(admission, store, verify, deferred);
  }

  /**
   * Forgets the account's failures and so unlocks it: for the password reset by email. This
   * instance forgets its refusals of the account at once; another remembers them until they end,
   * a lock at most REMEMBER_LOCK_MS.
   */
  async clear(account: AccountKey): Promise<void> {
    this.blocks.forget(account);
    const id = userIdOf(account);
    // Counts kept before they moved to the account, or of a record the validator refuses.
    await this.failures.forget(signInFailureId(account));
    if (id !== undefined) {
      await this.users.updateSignInChecks(new Types.ObjectId(id), this.counts.forgetting());
    }
  }

  private async verdict(
    admission: Extract<Admission, { admitted: true }>,
    store: CountsStore,
    verify: () => Promise<boolean>,
    deferred: BatchWrite[] | undefined,
  ): Promise<PasswordCheck> {
    let matches: boolean;
    try {
      matches = await verify();
    } catch (error) {
      // No verdict (busy, or broken): not a failure of the person.
      await store.release().catch(() => undefined);
      throw error;
    }
    if (matches) {
      if (deferred) deferred.push(store.forgetting());
      else await store.forget();
      return { matches, locked: false };
    }
    // Counted when admitted: only the check that reached the threshold sees it exactly.
    return { matches, locked: admission.failures === this.config.SIGN_IN_LOCK_AFTER_FAILURES };
  }

  /**
   * A login that names no account, after the one round trip that found none: its check is counted
   * in `sign_in_failures` while the password verification runs, so that the answer comes as late as
   * an account's (one round trip, the verification, the failure's write), and the round trips that
   * counting takes (up to three, the first time) do not tell which logins exist. A refusal still
   * answers as soon as it is known, and drops the verification if it is still waiting for its turn
   * (one already running ends unseen; the refusal is remembered, so this happens once per instance
   * and login).
   */
  private async checkUnknownLogin(
    loginKey: AccountKey,
    verify: (signal: AbortSignal) => Promise<boolean>,
  ): Promise<PasswordCheck> {
    const unneeded = new AbortController();
    const verifying = verify(unneeded.signal);
    // Handled from the start: it may fail (BUSY) while the counting is under way, and a rejection
    // nobody handles yet would end the process. verdict() still sees it.
    verifying.catch(() => undefined);
    const forget = () => unneeded.abort();
    let admitted: Awaited<ReturnType<AccountAttempts['admitElsewhere']>>;
    try {
      admitted = await this.admitElsewhere(loginKey);
    } catch (error) {
      forget();
      throw error;
    }
    const { admission, store } = admitted;
    if (!admission.admitted) {
      forget();
      this.remember(loginKey, admission);
      throw this.refusal(admission);
    }
    return this.verdict(admission, store, () => verifying, undefined);
  }

  /**
   * The account a login names and the admission of its check, in one update when it can; null when
   * the login names no account (checkUnknownLogin counts it).
   */
  private async admitLogin(login: string, loginKey: AccountKey) {
    const now = new Date();
    const attempt = randomUUID();
    const found = await this.users.checkingSignIn(
      { login },
      this.counts.admitting('account', now, attempt),
    );
    if (found === null) return null;
    if (found === 'unrecordable') {
      const user = await this.users.findByLogin(login);
      if (user === null) return { user, key: loginKey, ...(await this.admitElsewhere(loginKey)) };
      const key = accountKeyOfUser(user._id);
      return { user, key, ...(await this.admitElsewhere(key)) };
    }
    const { signInChecks, ...user } = found;
    return {
      user: user as User,
      key: accountKeyOfUser(user._id),
      admission: this.counts.admission(signInChecks!, now, attempt),
      store: this.onAccount(user._id),
    };
  }

  /** The admission of a check of `account` (an account's key, or a login's). */
  private async admitKey(account: AccountKey) {
    const id = userIdOf(account);
    if (id === undefined) return this.admitElsewhere(account);
    const now = new Date();
    const attempt = randomUUID();
    const userId = new Types.ObjectId(id);
    const found = await this.users.checkingSignIn(
      { id: userId },
      this.counts.admitting('account', now, attempt),
    );
    // An account gone meanwhile, or a record the validator refuses: counted on its own record.
    if (found === null || found === 'unrecordable') return this.admitElsewhere(account);
    return {
      admission: this.counts.admission(found.signInChecks!, now, attempt),
      store: this.onAccount(userId),
    };
  }

  /** A check counted in `sign_in_failures`: a login matching no account, or a record refusing it. */
  private async admitElsewhere(account: AccountKey) {
    const id = signInFailureId(account);
    const counted: Counted = namesAnAccount(account) ? 'account' : 'unknown-login';
    const admission = await this.failures.admit(id, counted);
    const store: CountsStore = {
      forget: () => this.failures.forget(id),
      forgetting: () => this.failures.forgetting(id),
      release: () => this.failures.release(id, counted),
    };
    return { admission, store };
  }

  private onAccount(userId: Types.ObjectId): CountsStore {
    return {
      forget: () => this.users.updateSignInChecks(userId, this.counts.forgetting()),
      forgetting: () => this.users.updatingSignInChecks(userId, this.counts.forgetting()),
      release: () => this.users.updateSignInChecks(userId, this.counts.releasing('account')),
    };
  }

  /**
   * Throws the refusal this instance remembers for the account `login` names, if any, as
   * checkLogin would: for a guard that runs before anything costs a round trip (RememberedBlocksGuard).
   */
  refuseRememberedLogin(login: string): void {
    this.refuseRemembered(accountKeyOfLogin(login));
  }

  /** Throws the refusal this instance remembers for `key`, if any. */
  private refuseRemembered(key: AccountKey): void {
    const remembered = this.blocks.get(key);
    if (remembered === undefined) return;
    // A login's refusal holds while its account's does (a reset here forgets the account's).
    if (remembered.account !== undefined && this.blocks.get(remembered.account) === undefined) {
      this.blocks.forget(key);
      return;
    }
    throw this.refusal(remembered.refusal);
  }

  private remember(
    key: AccountKey,
    refusal: Extract<Admission, { admitted: false }>,
    account?: AccountKey,
  ): void {
    const until =
      refusal.retryAt === null ? Date.now() + REMEMBER_LOCK_MS : refusal.retryAt.getTime();
    this.blocks.remember(key, until, { refusal, account });
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
