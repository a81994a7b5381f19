import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { createHash, randomUUID } from 'node:crypto';
import { driverCollection } from '../../platform/database/driver-collection';
import { currentTransaction } from '../../platform/database/transactions';
import { updateOrCreate } from '../../platform/database/update-or-create';
import { UpdateOneWrite } from '../../platform/database/write-batches';
import { AccountKey } from './account-key';
import { SignInFailure } from './sign-in-failure.schema';
import { SignInConfig, signInConfig } from '../sign-in-config';
import { Admission, CheckCounts, Counted, forgetAfter, forgetUnknownAfter } from './check-counts';

export { FORGET_UNKNOWN_LOGIN_AFTER_MS } from './check-counts';
export type { Admission, Counted, Refusal } from './check-counts';

/**
 * The password checks of logins that match no account, in MongoDB (`sign_in_failures`), and of an
 * account whose record refuses its own counts (a record edited by hand that breaks the validator;
 * every other account keeps them on its record): failures in a row and checks this minute. A check
 * is counted, as a failure until it succeeds, in the same atomic update that decides whether it
 * may go: so parallel checks cannot slip past a wait, the lock or the minute's limit, and none is
 * lost. Success sets the failures back to zero; a check that ends without a verdict is taken back
 * (release).
 */
@Injectable()
export class SignInFailures implements OnModuleInit {
  private readonly counts: CheckCounts;

  constructor(
    @InjectModel(SignInFailure.name) private readonly records: Model<SignInFailure>,
    @Inject(signInConfig.KEY) config: SignInConfig,
  ) {
    this.counts = new CheckCounts(config, '');
  }

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
    const update = this.counts.admitting(counted, now, attempt);
    const record = await updateOrCreate(
      // By the driver itself (in the current transaction, as mongoose would): mongoose's query
      // would copy and walk the pipeline on every check.
      () =>
        driverCollection(this.records).findOneAndUpdate({ _id: id }, update, {
          returnDocument: 'after',
          session: currentTransaction(),
        }),
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
    return this.counts.admission(record, now, attempt);
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
      updateOne: { filter: { _id: id }, update: this.counts.forgetting() },
    };
  }

  /**
   * Takes back the failure of an admitted check that ended without a verdict (the service was busy).
   * The wait it started stays, and it still counts in this minute's checks.
   */
  async release(id: string, counted: Counted): Promise<void> {
    await this.records
      .updateOne({ _id: id }, this.counts.releasing(counted), { updatePipeline: true })
      .exec();
  }
}

/** The record's id: hashed, so the collection never holds the email or username someone typed. */
export function signInFailureId(account: AccountKey): string {
  return createHash('sha256').update(account).digest('hex');
}
