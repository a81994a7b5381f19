import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { createHash, randomUUID } from 'node:crypto';
import { updateOrCreate } from '../../platform/database/update-or-create';
import { UpdateOneWrite } from '../../platform/database/write-batches';
import { AccountKey } from './account-key';
import { SignInFailure } from './sign-in-failure.schema';
import { SignInConfig, signInConfig } from '../sign-in-config';

/** An account's record that no check has touched for this long is forgotten (unless it locks it). */
const FORGET_FAILURES_AFTER_MS = 30 * 24 * 3600 * 1000;

/**
 * A record of a login that matches no account is forgotten this long after its last check, or after
 * the wait or minute that check started, whichever ends later: while someone keeps trying it, it
 * answers as an account would; a credential-stuffing run leaves nothing behind after minutes.
 */
export const FORGET_UNKNOWN_LOGIN_AFTER_MS = 15 * 60_000;

/**
 * Whose checks a record counts: an existing account's (remembered for 30 days, and a lock until a
 * reset), or a login that matches no account (remembered for minutes: FORGET_UNKNOWN_LOGIN_AFTER_MS).
 */
export type Counted = 'account' | 'unknown-login';

/** A minute: the window of the per-account limit on checks (SIGN_IN_RATE_LIMIT). */
const MINUTE_MS = 60_000;

/** Why a password check may not go ahead: a lock, a wait after failures, or this minute's share used. */
export type Refusal = 'locked' | 'waiting' | 'minute';

/** Whether a password check may go ahead, as admit() answers. */
export type Admission =
  | { admitted: true; /** Failures counting this check, should it fail. */ failures: number }
  | {
      admitted: false;
      refusal: Refusal;
      /** When a check may go again (null: never). */ retryAt: Date | null;
    };

/**
 * The password checks of each account, in MongoDB (`sign_in_failures`): its failures in a row and
 * its checks this minute. A check is counted, as a failure until it succeeds, in the same atomic
 * update that decides whether it may go: so parallel checks cannot slip past a wait, the lock or
 * the minute's limit, and none is lost. Success sets the failures back to zero; a check that ends
 * without a verdict is taken back (release).
 */
@Injectable()
export class SignInFailures implements OnModuleInit {
  constructor(
    @InjectModel(SignInFailure.name) private readonly records: Model<SignInFailure>,
    @Inject(signInConfig.KEY) private readonly config: SignInConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.records.init();
  }

  /**
   * Lets one check through unless the account is locked, must still wait, or has had
   * SIGN_IN_RATE_LIMIT checks this minute, and counts it. The failure after the free ones makes the
   * account wait SIGN_IN_FIRST_DELAY_SECONDS, each next one twice as long, up to
   * SIGN_IN_MAX_DELAY_SECONDS; reaching SIGN_IN_LOCK_AFTER_FAILURES locks it.
   */
  async admit(id: string, counted: Counted): Promise<Admission> {
    const now = new Date();
    const attempt = randomUUID();
    const lockAfter = this.config.SIGN_IN_LOCK_AFTER_FAILURES;
    const update = [
      { $set: { _newMinute: { $not: [{ $gt: ['$checksUntil', now] }] } } },
      { $set: { _checks: { $cond: ['$_newMinute', 0, '$checks'] } } },
      {
        $set: {
          _admit: {
            $and: [
              { $lt: ['$failures', lockAfter] },
              { $not: [{ $gt: ['$retryAt', now] }] },
              { $lt: ['$_checks', this.config.SIGN_IN_RATE_LIMIT] },
            ],
          },
        },
      },
      {
        $set: {
          failures: { $cond: ['$_admit', { $add: ['$failures', 1] }, '$failures'] },
          attempt: { $cond: ['$_admit', attempt, '$attempt'] },
          checks: { $cond: ['$_admit', { $add: ['$_checks', 1] }, '$checks'] },
          checksUntil: {
            $cond: [
              { $and: ['$_admit', '$_newMinute'] },
              new Date(now.getTime() + MINUTE_MS),
              '$checksUntil',
            ],
          },
        },
      },
      { $set: { _delay: this.delayAfter('$failures') } },
      {
        $set: {
          // No wait is no date: a later check stamped a moment earlier must not find one.
          retryAt: {
            $cond: [
              '$_admit',
              { $cond: [{ $gt: ['$_delay', 0] }, { $add: [now, '$_delay'] }, null] },
              '$retryAt',
            ],
          },
        },
      },
      { $set: { expiresAt: this.expiryAfterCheck(counted, now) } },
      { $unset: ['_newMinute', '_checks', '_admit', '_delay'] },
    ];
    const record = await updateOrCreate(
      () =>
        this.records
          .findOneAndUpdate({ _id: id }, update, { returnDocument: 'after', updatePipeline: true })
          .lean<SignInFailure>()
          .exec(),
      () =>
        this.records.create({
          _id: id,
          failures: 0,
          retryAt: null,
          attempt: null,
          checks: 0,
          checksUntil: null,
          expiresAt: counted === 'account' ? forgetAfter(now) : forgetUnknownAfter(now),
        }),
    );
    if (record.attempt === attempt) return { admitted: true, failures: record.failures };
    if (record.failures >= lockAfter) return { admitted: false, refusal: 'locked', retryAt: null };
    if (record.retryAt && record.retryAt > now) {
      return { admitted: false, refusal: 'waiting', retryAt: record.retryAt };
    }
    return { admitted: false, refusal: 'minute', retryAt: record.checksUntil };
  }

  /**
   * After a success, or when the owner resets the password: the count starts again. The record
   * stays (until the TTL monitor forgets it), so that parallel sign-ins do not keep recreating it.
   */
  async forget(id: string): Promise<void> {
    const { filter, update } = this.forgetting(id).updateOne;
    await this.records.updateOne(filter, update).exec();
  }

  /** forget() as a write to send with others (WriteBatches). */
  forgetting(id: string): UpdateOneWrite {
    return {
      target: this.records,
      updateOne: {
        filter: { _id: id },
        update: { $set: { failures: 0, retryAt: null, expiresAt: forgetAfter(new Date()) } },
      },
    };
  }

  /**
   * Takes back the failure of an admitted check that ended without a verdict (the service was busy).
   * The wait it started stays, and it still counts in this minute's checks.
   */
  async release(id: string, counted: Counted): Promise<void> {
    const lockAfter = this.config.SIGN_IN_LOCK_AFTER_FAILURES;
    const unlocked = [{ $set: { failures: { $max: [{ $subtract: ['$failures', 1] }, 0] } } }];
    // An unknown login's expiry, set by the check, outlasts the wait that stays.
    const expiry =
      counted === 'account'
        ? [
            {
              $set: {
                expiresAt: {
                  $cond: [{ $gte: ['$failures', lockAfter] }, null, forgetAfter(new Date())],
                },
              },
            },
          ]
        : [];
    await this.records
      .updateOne({ _id: id }, [...unlocked, ...expiry], { updatePipeline: true })
      .exec();
  }

  /**
   * The record's expiry after a check (in the update, once `failures` and `retryAt` are the
   * check's): an account's is 30 days after an admitted check, none once locked; an unknown
   * login's, minutes after the wait or minute that check started, whichever ends later.
   */
  private expiryAfterCheck(counted: Counted, now: Date) {
    if (counted === 'unknown-login') {
      const until = { $max: [now, '$retryAt', '$checksUntil'] };
      return {
        $cond: ['$_admit', { $add: [until, FORGET_UNKNOWN_LOGIN_AFTER_MS] }, '$expiresAt'],
      };
    }
    return {
      $cond: [
        { $gte: ['$failures', this.config.SIGN_IN_LOCK_AFTER_FAILURES] },
        null,
        { $cond: ['$_admit', forgetAfter(now), '$expiresAt'] },
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

/** The record's id: hashed, so the collection never holds the email or username someone typed. */
export function signInFailureId(account: AccountKey): string {
  return createHash('sha256').update(account).digest('hex');
}

function forgetAfter(now: Date): Date {
  return new Date(now.getTime() + FORGET_FAILURES_AFTER_MS);
}

function forgetUnknownAfter(now: Date): Date {
  return new Date(now.getTime() + FORGET_UNKNOWN_LOGIN_AFTER_MS);
}
