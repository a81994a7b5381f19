import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AppError } from '../platform/http/app-error';
import { inTransaction } from '../platform/database/transactions';
import { duplicateKeyField } from './duplicate-key';
import { Lock } from './schemas/lock.schema';
import { User } from './schemas/user.schema';
import { UsersRepository } from './users.repository';

/** The lock every change that takes an enabled admin away writes. */
const ADMINS_LOCK = 'admins';

/** Whether the account can use the admin API: role admin, and not disabled. */
export function isEnabledAdmin(user: Pick<User, 'role' | 'disabled'>): boolean {
  return user.role === 'admin' && user.disabled !== true;
}

/**
 * The last enabled admin cannot be demoted, disabled or deleted.
 *
 * Counting the admins left after a change is not enough on its own: two transactions demoting two
 * admins at once would each count the other as remaining (both read a snapshot from before either
 * committed). So every such change also writes one shared document, the admins' lock: of two
 * concurrent transactions writing it, MongoDB commits one and makes the other re-run (a write
 * conflict, retried by Transactions.run), and the re-run counts what the first one left.
 */
@Injectable()
export class LastAdminRule implements OnModuleInit {
  constructor(
    @InjectModel(Lock.name) private readonly locks: Model<Lock>,
    private readonly users: UsersRepository,
  ) {}

  /** The lock exists before any transaction writes it (an upsert there could fail on E11000). */
  async onModuleInit(): Promise<void> {
    try {
      await this.locks
        .updateOne({ _id: ADMINS_LOCK }, { $setOnInsert: { version: 0 } }, { upsert: true })
        .exec();
    } catch (error) {
      // Another instance created it at the same moment.
      if (duplicateKeyField(error) === undefined) throw error;
    }
  }

  /**
   * Inside the caller's transaction, applies `change`, which may take `before` (the account as
   * read in this transaction) away as an enabled admin; throws LAST_ADMIN, which aborts the
   * transaction, when no enabled admin would remain.
   */
  async guard<T>(before: User, change: () => Promise<T>): Promise<T> {
    if (!inTransaction()) throw new Error('LastAdminRule.guard must run inside Transactions.run');
    if (!isEnabledAdmin(before)) return change();
    await this.locks.updateOne({ _id: ADMINS_LOCK }, { $inc: { version: 1 } }).exec();
    const result = await change();
    if ((await this.users.countEnabledAdmins()) === 0) {
      throw new AppError(
        'LAST_ADMIN',
        'This is the last enabled admin: make another account admin first.',
      );
    }
    return result;
  }
}
