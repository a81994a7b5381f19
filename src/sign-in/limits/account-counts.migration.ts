import type { Model } from 'mongoose';
import type { UsersRepository } from '../../users/users.repository';
import { accountKeyOfUser } from './account-key';
import type { SignInFailure } from './sign-in-failure.schema';
import { signInFailureId } from './sign-in-failures';

const BATCH = 1000;

/**
 * Moves the counts of existing accounts from `sign_in_failures` (where earlier versions kept them,
 * under the hash of the account's key) onto the accounts' records. The hash cannot be reversed, so
 * the accounts' ids are hashed in batches and looked up. Idempotent: an account that has counts of
 * its own keeps them, and a moved record is deleted; records of unknown logins stay.
 */
export async function moveAccountCounts(
  users: UsersRepository,
  failures: Model<SignInFailure>,
): Promise<void> {
  for await (const ids of users.idBatches(BATCH)) {
    const byRecord = new Map(ids.map((id) => [signInFailureId(accountKeyOfUser(id)), id]));
    const records = await failures.collection
      .find({ _id: { $in: [...byRecord.keys()] } } as Record<string, unknown>)
      .toArray();
    for (const record of records) {
      const { _id, ...counts } = record as unknown as SignInFailure;
      await users.adoptSignInChecks(byRecord.get(_id)!, counts);
      await failures.collection.deleteOne({ _id } as Record<string, unknown>);
    }
  }
}
