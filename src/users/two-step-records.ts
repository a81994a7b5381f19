import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, Types } from 'mongoose';
import { User } from './schemas/user.schema';

const ENABLED = { 'twoStep.enabled': true };

/**
 * The account's two-step sign-in (User.twoStep), written beside UsersRepository on the same
 * collection. Every rule that must hold under parallel requests is the filter of one update: a
 * code's time step is accepted only once, a recovery code is taken out once, confirming happens
 * once and only for the secret the code was checked against.
 */
@Injectable()
export class TwoStepRecords {
  constructor(@InjectModel(User.name) private readonly users: Model<User>) {}

  /**
   * Starts (or restarts) a pending set-up with `secret` (encrypted). False when two-step is
   * already enabled (or the account is gone): that one stays as it is.
   */
  async setUp(id: Types.ObjectId, secret: string): Promise<boolean> {
    const result = await this.users
      .updateOne(
        { _id: id, 'twoStep.enabled': mongoose.trusted({ $ne: true }) },
        { $set: { twoStep: { secret, enabled: false, recoveryCodes: [] } } },
      )
      .exec();
    return result.matchedCount === 1;
  }

  /**
   * Turns the pending set-up with `secret` on, recording `step` as the last code's and the
   * recovery codes' hashes. The account afterwards, or null when it was not pending with that
   * secret (turned on, replaced or dropped meanwhile).
   */
  async confirm(
    id: Types.ObjectId,
    secret: string,
    step: number,
    recoveryCodes: string[],
  ): Promise<User | null> {
    return this.users
      .findOneAndUpdate(
        { _id: id, 'twoStep.enabled': false, 'twoStep.secret': secret },
        {
          $set: {
            'twoStep.enabled': true,
            'twoStep.lastStep': step,
            'twoStep.recoveryCodes': recoveryCodes,
            'twoStep.enabledAt': new Date(),
          },
        },
        { returnDocument: 'after' },
      )
      .lean<User>()
      .exec();
  }

  /** Accepts a code of time step `step`, only if no code of this or a later step was: once. */
  async acceptStep(id: Types.ObjectId, step: number): Promise<boolean> {
    const result = await this.users
      .updateOne(
        {
          _id: id,
          ...ENABLED,
          $or: [
            { 'twoStep.lastStep': mongoose.trusted({ $exists: false }) },
            { 'twoStep.lastStep': mongoose.trusted({ $lt: step }) },
          ],
        },
        { $set: { 'twoStep.lastStep': step } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Takes out the recovery code of hash `hash`; the account afterwards, or null if it had none such. */
  async useRecoveryCode(id: Types.ObjectId, hash: string): Promise<User | null> {
    return this.users
      .findOneAndUpdate(
        { _id: id, ...ENABLED, 'twoStep.recoveryCodes': hash },
        { $pull: { 'twoStep.recoveryCodes': hash } },
        { returnDocument: 'after' },
      )
      .lean<User>()
      .exec();
  }

  /** A new set of recovery codes in place of the old; the account afterwards, or null when off. */
  async replaceRecoveryCodes(id: Types.ObjectId, hashes: string[]): Promise<User | null> {
    return this.users
      .findOneAndUpdate(
        { _id: id, ...ENABLED },
        { $set: { 'twoStep.recoveryCodes': hashes } },
        { returnDocument: 'after' },
      )
      .lean<User>()
      .exec();
  }

  /**
   * Removes two-step sign-in, enabled or pending. The account afterwards and whether it was
   * enabled, or null when there was nothing to remove.
   */
  async remove(id: Types.ObjectId): Promise<{ user: User; wasEnabled: boolean } | null> {
    const before = await this.users
      .findOneAndUpdate(
        { _id: id, twoStep: mongoose.trusted({ $exists: true }) },
        { $unset: { twoStep: 1 } },
        { returnDocument: 'before' },
      )
      .lean<User>()
      .exec();
    if (!before) return null;
    const { twoStep, ...after } = before;
    return { user: after, wasEnabled: twoStep?.enabled === true };
  }
}
