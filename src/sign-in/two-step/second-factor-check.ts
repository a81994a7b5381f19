import { Injectable } from '@nestjs/common';
import { AccountNotices } from '../../email/account-notices';
import { userActor } from '../../audit/events/event.schema';
import { EventsService } from '../../audit/events/events.service';
import { AppError } from '../../platform/http/app-error';
import { Transactions } from '../../platform/database/transactions';
import type { User } from '../../users/schemas/user.schema';
import { TwoStepRecords } from '../../users/two-step-records';
import { AccountAttempts } from '../limits/account-attempts';
import { accountKeyOfUser } from '../limits/account-key';
import { hashRecoveryCode } from './recovery-codes';
import type { SecondFactor } from './second-factor';
import { stepOfCode } from './totp';
import { twoStepNotice } from './two-step-notice';
import { TwoStepSecrets } from './two-step-secrets';

/** What someone typed as their second factor: one of the two. */
export interface SecondFactorAnswer {
  code?: string;
  recoveryCode?: string;
}

/**
 * Checks an account's second factor (two-step sign-in), within the account's limits on attempts
 * (AccountAttempts: a wrong code counts as a wrong password does). A TOTP code is accepted once:
 * its time step is recorded in the update that accepts it. A recovery code is taken out in the
 * update that accepts it; its owner hears of it (event, webhook and mail), with how many are left.
 * Using one does not turn two-step sign-in off: it gets its owner in, who may then turn it off or
 * make new codes.
 */
@Injectable()
export class SecondFactorCheck {
  constructor(
    private readonly attempts: AccountAttempts,
    private readonly records: TwoStepRecords,
    private readonly secrets: TwoStepSecrets,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly notices: AccountNotices,
  ) {}

  /**
   * The factor `answer` proves for `user`, which has two-step sign-in on. WRONG_CODE naming the
   * field when it proves nothing; TOO_MANY_REQUESTS or SIGN_IN_LOCKED when the account must wait.
   */
  async verify(user: User, answer: SecondFactorAnswer): Promise<SecondFactor> {
    const factor: SecondFactor = answer.code !== undefined ? 'totp' : 'recovery_code';
    const key = accountKeyOfUser(user._id);
    const { matches } = await this.attempts.check(key, () =>
      factor === 'totp'
        ? this.acceptCode(user, answer.code!)
        : this.useRecoveryCode(user, answer.recoveryCode ?? ''),
    );
    if (!matches) throw wrongCodeError(factor);
    return factor;
  }

  private async acceptCode(user: User, code: string): Promise<boolean> {
    const stored = user.twoStep;
    if (stored?.enabled !== true) return false;
    const secret = this.secrets.open(stored.secret, user._id.toHexString());
    const step = secret === undefined ? undefined : stepOfCode(secret, code.trim());
    return step !== undefined && this.records.acceptStep(user._id, step);
  }

  private useRecoveryCode(user: User, code: string): Promise<boolean> {
    return this.transactions.run(async () => {
      const after = await this.records.useRecoveryCode(user._id, hashRecoveryCode(code));
      if (!after) return false;
      const left = after.twoStep?.recoveryCodes.length ?? 0;
      await this.events.record({
        type: 'recovery_code.used',
        userId: user._id,
        actor: userActor(user._id),
        details: { left },
      });
      await this.notices.send(
        after,
        'two-step-notice',
        twoStepNotice({ action: 'recovery-code-used', left }),
      );
      return true;
    });
  }
}

/** A second factor that proves nothing, naming the field it came in. */
export function wrongCodeError(factor: SecondFactor, detail = ''): AppError {
  return factor === 'totp'
    ? new AppError('WRONG_CODE', `The code is incorrect or was already used.${detail}`, 'code')
    : new AppError(
        'WRONG_CODE',
        `The recovery code is incorrect or was already used.${detail}`,
        'recoveryCode',
      );
}
