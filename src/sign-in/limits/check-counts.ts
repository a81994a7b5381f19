import type { SignInConfig } from '../sign-in-config';

/** An account's counts that no check has touched for this long are forgotten (unless locked). */
export const FORGET_FAILURES_AFTER_MS = 30 * 24 * 3600 * 1000;

/**
 * A record of a login that matches no account is forgotten this long after its last check, or after
 * the wait or minute that check started, whichever ends later: while someone keeps trying it, it
 * answers as an account would; a credential-stuffing run leaves nothing behind after minutes.
 */
export const FORGET_UNKNOWN_LOGIN_AFTER_MS = 15 * 60_000;

/** A minute: the window of the per-account limit on checks (SIGN_IN_RATE_LIMIT). */
const MINUTE_MS = 60_000;

/**
 * Whose checks the counts are: an existing account's (remembered for 30 days, and a lock until a
 * reset), or a login that matches no account (remembered for minutes: FORGET_UNKNOWN_LOGIN_AFTER_MS).
 */
export type Counted = 'account' | 'unknown-login';

/** Why a password check may not go ahead: a lock, a wait after failures, or this minute's share used. */
export type Refusal = 'locked' | 'waiting' | 'minute';

/** Whether a password check may go ahead, as an admission answers. */
export type Admission =
  | { admitted: true; /** Failures counting this check, should it fail. */ failures: number }
  | {
      admitted: false;
      refusal: Refusal;
      /** When a check may go again (null: never). */ retryAt: Date | null;
    };

/**
 * The password checks of one account (or unknown login), as stored: its failures in a row, the
 * wait they started, its checks this minute, and when they are forgotten. An account keeps them in
 * its own record (`signInChecks`), an unknown login in `sign_in_failures`.
 */
export interface CheckCountFields {
  /** Failed checks since the last success, counting those under way. */
  failures: number;
  /** No password check before then; null: no wait. */
  retryAt: Date | null;
  /** Random id of the last check let through, which tells that check it was the one. */
  attempt: string | null;
  /** Checks let through in the minute that ends at `checksUntil` (SIGN_IN_RATE_LIMIT). */
  checks: number;
  checksUntil: Date | null;
  /** When the counts are forgotten (long after the last check); null once locked (a reset ends it). */
  expiresAt: Date | null;
}

/**
 * The rules of the counts as MongoDB updates, on the fields under `path` of a record ('' for the
 * record itself, `signInChecks.` for an account's): each is one atomic update, so parallel checks
 * cannot slip past a wait, the lock or the minute's limit, and none is lost.
 */
export class CheckCounts {
  constructor(
    private readonly config: Pick<
      SignInConfig,
      | 'SIGN_IN_LOCK_AFTER_FAILURES'
      | 'SIGN_IN_RATE_LIMIT'
      | 'SIGN_IN_FREE_FAILURES'
      | 'SIGN_IN_FIRST_DELAY_SECONDS'
      | 'SIGN_IN_MAX_DELAY_SECONDS'
    >,
    private readonly path: '' | `${string}.`,
  ) {}

  /** The name of a field of the counts, to set. */
  private field(name: keyof CheckCountFields): string {
    return `${this.path}${name}`;
  }

  /** A field of the counts, to read in an expression. */
  private value(name: keyof CheckCountFields): string {
    return `$${this.path}${name}`;
  }

  /**
   * The update pipeline that lets one check through unless the counts are locked, must still wait,
   * or have had SIGN_IN_RATE_LIMIT checks this minute, and counts it (as a failure until it
   * succeeds), stamped `attempt`. The failure after the free ones makes the account wait
   * SIGN_IN_FIRST_DELAY_SECONDS, each next one twice as long, up to SIGN_IN_MAX_DELAY_SECONDS;
   * reaching SIGN_IN_LOCK_AFTER_FAILURES locks it. Counts past their expiry start from zero, and
   * missing ones (an account never checked) are zero.
   */
  admitting(counted: Counted, now: Date, attempt: string): Record<string, unknown>[] {
    const lockAfter = this.config.SIGN_IN_LOCK_AFTER_FAILURES;
    const f = (name: keyof CheckCountFields) => this.field(name);
    const v = (name: keyof CheckCountFields) => this.value(name);
    const forgotten = {
      $and: [{ $eq: [{ $type: v('expiresAt') }, 'date'] }, { $lte: [v('expiresAt'), now] }],
    };
    return [
      {
        $set: {
          [f('failures')]: { $cond: [forgotten, 0, { $ifNull: [v('failures'), 0] }] },
          [f('retryAt')]: { $cond: [forgotten, null, { $ifNull: [v('retryAt'), null] }] },
        },
      },
      { $set: { _newMinute: { $not: [{ $gt: [v('checksUntil'), now] }] } } },
      { $set: { _checks: { $cond: ['$_newMinute', 0, v('checks')] } } },
      {
        $set: {
          _admit: {
            $and: [
              { $lt: [v('failures'), lockAfter] },
              { $not: [{ $gt: [v('retryAt'), now] }] },
              { $lt: ['$_checks', this.config.SIGN_IN_RATE_LIMIT] },
            ],
          },
        },
      },
      {
        $set: {
          [f('failures')]: { $cond: ['$_admit', { $add: [v('failures'), 1] }, v('failures')] },
          [f('attempt')]: { $cond: ['$_admit', attempt, { $ifNull: [v('attempt'), null] }] },
          [f('checks')]: {
            $cond: ['$_admit', { $add: ['$_checks', 1] }, { $ifNull: [v('checks'), 0] }],
          },
          [f('checksUntil')]: {
            $cond: [
              { $and: ['$_admit', '$_newMinute'] },
              new Date(now.getTime() + MINUTE_MS),
              { $ifNull: [v('checksUntil'), null] },
            ],
          },
        },
      },
      { $set: { _delay: this.delayAfter(v('failures')) } },
      {
        $set: {
          // No wait is no date: a later check stamped a moment earlier must not find one.
          [f('retryAt')]: {
            $cond: [
              '$_admit',
              { $cond: [{ $gt: ['$_delay', 0] }, { $add: [now, '$_delay'] }, null] },
              v('retryAt'),
            ],
          },
        },
      },
      { $set: { [f('expiresAt')]: this.expiryAfterCheck(counted, now) } },
      { $unset: ['_newMinute', '_checks', '_admit', '_delay'] },
    ];
  }

  /** What the counts after `admitting` say of the check stamped `attempt`. */
  admission(counts: CheckCountFields, now: Date, attempt: string): Admission {
    if (counts.attempt === attempt) return { admitted: true, failures: counts.failures };
    if (counts.failures >= this.config.SIGN_IN_LOCK_AFTER_FAILURES) {
      return { admitted: false, refusal: 'locked', retryAt: null };
    }
    if (counts.retryAt && counts.retryAt > now) {
      return { admitted: false, refusal: 'waiting', retryAt: counts.retryAt };
    }
    return { admitted: false, refusal: 'minute', retryAt: counts.checksUntil };
  }

  /**
   * After a success, or when the owner resets the password: the failures start again from zero
   * (this minute's checks stay counted). A plain update.
   */
  forgetting(now = new Date()): Record<string, unknown> {
    return {
      $set: {
        [this.field('failures')]: 0,
        [this.field('retryAt')]: null,
        [this.field('expiresAt')]: forgetAfter(now),
      },
    };
  }

  /**
   * The update pipeline that takes back the failure of an admitted check that ended without a
   * verdict (the service was busy). The wait it started stays, and it still counts in this
   * minute's checks.
   */
  releasing(counted: Counted): Record<string, unknown>[] {
    const lockAfter = this.config.SIGN_IN_LOCK_AFTER_FAILURES;
    const failures = this.value('failures');
    const unlocked = [
      { $set: { [this.field('failures')]: { $max: [{ $subtract: [failures, 1] }, 0] } } },
    ];
    // An unknown login's expiry, set by the check, outlasts the wait that stays.
    if (counted === 'unknown-login') return unlocked;
    return [
      ...unlocked,
      {
        $set: {
          [this.field('expiresAt')]: {
            $cond: [{ $gte: [failures, lockAfter] }, null, forgetAfter(new Date())],
          },
        },
      },
    ];
  }

  /**
   * The expiry after a check (in the update, once `failures` and `retryAt` are the check's): an
   * account's is 30 days after an admitted check, none once locked; an unknown login's, minutes
   * after the wait or minute that check started, whichever ends later.
   */
  private expiryAfterCheck(counted: Counted, now: Date) {
    const expiresAt = { $ifNull: [this.value('expiresAt'), null] };
    if (counted === 'unknown-login') {
      const until = { $max: [now, this.value('retryAt'), this.value('checksUntil')] };
      return {
        $cond: ['$_admit', { $add: [until, FORGET_UNKNOWN_LOGIN_AFTER_MS] }, expiresAt],
      };
    }
    return {
      $cond: [
        { $gte: [this.value('failures'), this.config.SIGN_IN_LOCK_AFTER_FAILURES] },
        null,
        { $cond: ['$_admit', forgetAfter(now), expiresAt] },
      ],
    };
  }

  /** Milliseconds to wait after `failures` failures: none for the free ones, then doubling. */
  private delayAfter(failures: string) {
    const free = this.config.SIGN_IN_FREE_FAILURES;
    // The exponent stops at 31: 2^31 seconds is far past any allowed cap, and nothing overflows.
    const doublings = { $min: [{ $subtract: [failures, free + 1] }, 31] };
    return {
      $cond: [
        { $lte: [failures, free] },
        0,
        {
          $min: [
            this.config.SIGN_IN_MAX_DELAY_SECONDS * 1000,
            {
              $multiply: [this.config.SIGN_IN_FIRST_DELAY_SECONDS * 1000, { $pow: [2, doublings] }],
            },
          ],
        },
      ],
    };
  }
}

export function forgetAfter(now: Date): Date {
  return new Date(now.getTime() + FORGET_FAILURES_AFTER_MS);
}

export function forgetUnknownAfter(now: Date): Date {
  return new Date(now.getTime() + FORGET_UNKNOWN_LOGIN_AFTER_MS);
}
