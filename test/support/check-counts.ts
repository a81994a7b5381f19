import { Types } from 'mongoose';
import { MongoThrottlerStorage } from '../../src/platform/rate-limits/mongo-throttler.storage';
import { AccountAttempts } from '../../src/sign-in/limits/account-attempts';
import type { CheckCountFields } from '../../src/sign-in/limits/check-counts';
import type { TestApp } from './test-app';

/** An account's password-check counts as stored on its record (`signInChecks`). */
export type StoredChecks = CheckCountFields;

/** The counts on the account's record (null before its first check). */
export async function accountChecks(t: TestApp, userId: string): Promise<StoredChecks | null> {
  const user = await t.db
    .collection<{ _id: Types.ObjectId; signInChecks?: StoredChecks }>('users')
    .findOne({ _id: new Types.ObjectId(userId) });
  return user?.signInChecks ?? null;
}

/** Sets fields of the account's counts by hand (starting them, with no failures, if need be). */
export async function setAccountChecks(
  t: TestApp,
  userId: string,
  fields: Partial<StoredChecks>,
): Promise<void> {
  const set = Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [`signInChecks.${name}`, { $literal: value }]),
  );
  await t.db
    .collection('users')
    .updateOne({ _id: new Types.ObjectId(userId) }, [
      { $set: { 'signInChecks.failures': { $ifNull: ['$signInChecks.failures', 0] } } },
      { $set: set },
    ]);
}

/**
 * What the instances remember of blocks (the per-client and per-account limits), forgotten: for
 * tests that move stored times into the past, as if the time had passed for the instances too.
 */
export function forgetBlocks(...apps: TestApp[]): void {
  for (const t of apps) {
    t.app.get(AccountAttempts).blocks.clear();
    t.app.get(MongoThrottlerStorage).blocks.clear();
  }
}
