import { Injectable } from '@nestjs/common';
import { AppConfig } from '../platform/config/app-config';
import { MailOutbox } from './delivery/mail-outbox';
import { MailKinds } from './delivery/mail-templates';
import { User } from '../users/schemas/user.schema';

type NoticeKind =
  'password-notice' | 'provider-notice' | 'passkey-notice' | 'sign-in-locked' | 'account-deleted';

/**
 * Tells an account's owner about changes to how it is entered, at its verified address only (an
 * unverified one may belong to somebody else). Call inside the change's transaction.
 */
@Injectable()
export class AccountNotices {
  constructor(
    private readonly outbox: MailOutbox,
    private readonly config: AppConfig,
  ) {}

  async send<K extends NoticeKind>(user: User, kind: K, data: MailKinds[K]): Promise<void> {
    if (user.email === undefined || !user.emailVerified) return;
    await this.outbox.send(user.email, kind, data);
  }

  /** The email changed: the old address hears of it (it was verified, or it gets nothing). */
  async emailChanged(oldEmail: string | undefined, wasVerified: boolean, newEmail: string) {
    if (oldEmail === undefined || !wasVerified || oldEmail === newEmail) return;
    await this.outbox.send(oldEmail, 'email-changed', { newEmail });
  }

  /** Where a locked-out owner starts recovery. */
  get recoveryPage(): string {
    return `${this.config.publicUrl}/forgot-password`;
  }
}
