import { Injectable } from '@nestjs/common';
import { toString as qrCodeSvg } from 'qrcode';
import { AccountNotices } from '../../email/account-notices';
import { EventsService } from '../../audit/events/events.service';
import { AppConfig } from '../../platform/config/app-config';
import { AppError } from '../../platform/http/app-error';
import { Transactions } from '../../platform/database/transactions';
import type { User } from '../../users/schemas/user.schema';
import { TwoStepRecords } from '../../users/two-step-records';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes';
import { wrongCodeError } from './second-factor-check';
import { newTotpSecret, otpauthUrl, stepOfCode } from './totp';
import { twoStepNotice } from './two-step-notice';
import { TwoStepSecrets } from './two-step-secrets';

/** A pending set-up, shown once: the secret, and the same as a URL and a QR code to scan. */
export interface TwoStepSetUp {
  secret: string;
  otpauthUrl: string;
  qrSvg: string;
}

/**
 * Turning two-step sign-in on and off, and new recovery codes. Turning it on takes two requests:
 * set-up (a new secret, pending) and a first code that proves the app has it (confirm). Each
 * change is one conditional update (TwoStepRecords), with its event, webhook and notice in the
 * same transaction.
 */
@Injectable()
export class TwoStepService {
  constructor(
    private readonly records: TwoStepRecords,
    private readonly secrets: TwoStepSecrets,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly notices: AccountNotices,
    private readonly config: AppConfig,
  ) {}

  /** A new pending secret in place of any pending one; TWO_STEP_ALREADY_ENABLED when it is on. */
  async setUp(user: User): Promise<TwoStepSetUp> {
    const secret = newTotpSecret();
    const stored = this.secrets.seal(secret, user._id.toHexString());
    if (!(await this.records.setUp(user._id, stored))) {
      throw new AppError(
        'TWO_STEP_ALREADY_ENABLED',
        'Two-step sign-in is already on. Turn it off first (DELETE /me/two-step) to use another app.',
      );
    }
    return this.setUpView(user, secret);
  }

  /**
   * The pending set-up again, for the settings page that shows it until the first code confirms
   * it (a reload, a wrong code); undefined when none is pending or its secret no longer opens.
   */
  async pendingSetUp(user: User): Promise<TwoStepSetUp | undefined> {
    const pending = user.twoStep;
    if (pending === undefined || pending.enabled) return undefined;
    const secret = this.secrets.open(pending.secret, user._id.toHexString());
    return secret === undefined ? undefined : this.setUpView(user, secret);
  }

  private async setUpView(user: User, secret: string): Promise<TwoStepSetUp> {
    const url = otpauthUrl(secret, this.config.APP_NAME, user.email ?? user.username);
    return { secret, otpauthUrl: url, qrSvg: await qrCodeSvg(url, { type: 'svg', margin: 1 }) };
  }

  /** Turns the pending set-up on with its first code; the recovery codes, shown this once. */
  async confirm(user: User, code: string): Promise<string[]> {
    const pending = user.twoStep;
    if (pending === undefined || pending.enabled) {
      throw new AppError(
        pending ? 'TWO_STEP_ALREADY_ENABLED' : 'TWO_STEP_NOT_SET_UP',
        pending
          ? 'Two-step sign-in is already on.'
          : 'There is no two-step set-up to confirm. Start one with POST /me/two-step.',
      );
    }
    const secret = this.secrets.open(pending.secret, user._id.toHexString());
    const step = secret === undefined ? undefined : stepOfCode(secret, code.trim());
    if (step === undefined) throw wrongCodeError('totp');
    const codes = newRecoveryCodes();
    await this.transactions.run(async () => {
      const after = await this.records.confirm(
        user._id,
        pending.secret,
        step,
        codes.map(hashRecoveryCode),
      );
      if (!after) {
        // Confirmed, replaced or turned off by a request in parallel: this code confirms nothing.
        throw wrongCodeError('totp', ' Start again with POST /me/two-step if needed.');
      }
      await this.events.record({ type: 'two_step.enabled', userId: user._id });
      await this.notices.send(after, 'two-step-notice', twoStepNotice({ action: 'enabled' }));
    });
    return codes;
  }

  /**
   * Turns two-step sign-in off (or drops a pending set-up, without event or notice): by its owner,
   * or by an admin (the event's actor is whoever the request says acts). TWO_STEP_NOT_ENABLED when
   * there is nothing.
   */
  async turnOff(user: User, { byAdmin = false } = {}): Promise<void> {
    await this.transactions.run(async () => {
      const removed = await this.records.remove(user._id);
      if (!removed) {
        throw new AppError('TWO_STEP_NOT_ENABLED', 'Two-step sign-in is not on for this account.');
      }
      if (!removed.wasEnabled) return;
      await this.events.record({
        type: 'two_step.disabled',
        userId: user._id,
        ...(byAdmin && { details: { byAdmin: true } }),
      });
      await this.notices.send(
        removed.user,
        'two-step-notice',
        twoStepNotice({ action: 'disabled', byAdmin }),
      );
    });
  }

  /** A new set of recovery codes, shown this once; the old set stops working in the same update. */
  async newRecoveryCodes(user: User): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.transactions.run(async () => {
      const after = await this.records.replaceRecoveryCodes(user._id, codes.map(hashRecoveryCode));
      if (!after) {
        throw new AppError('TWO_STEP_NOT_ENABLED', 'Two-step sign-in is not on for this account.');
      }
      await this.events.record({ type: 'recovery_codes.replaced', userId: user._id });
      await this.notices.send(
        after,
        'two-step-notice',
        twoStepNotice({ action: 'recovery-codes-replaced' }),
      );
    });
    return codes;
  }
}
