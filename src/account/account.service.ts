import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { accountKeyOfUser } from '../sign-in/limits/account-key';
import { Auth } from '../sign-in/authenticated-request';
import { AuthService } from '../sign-in/auth.service';
import { PasswordHasher } from '../sign-in/methods/password/password-hasher.service';
import { PasswordPolicy } from '../sign-in/methods/password/password-policy.service';
import { SessionsService } from '../sign-in/sessions/sessions.service';
import { AppError } from '../platform/http/app-error';
import { Transactions } from '../platform/database/transactions';
import { AccountNotices } from '../email/account-notices';
import { EventsService } from '../audit/events/events.service';
import { ProfileFields } from '../users/profile-fields/profile-fields.service';
import { EmailVerification } from './email-verification/email-verification.service';
import { normaliseEmail, normaliseUsername } from '../users/identifiers';
import { LastAdminRule } from '../users/last-admin.rule';
import { profileDataOf } from '../users/profile-data';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';

export interface ProfileUpdate {
  user: User;
  /** A new email waits for its confirmation link. */
  emailChangePending: boolean;
}

/** What a signed-in person can do to their own account. Recent sign-in is checked by the routes. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly transactions: Transactions,
    private readonly verification: EmailVerification,
    private readonly notices: AccountNotices,
    private readonly profileFields: ProfileFields,
    private readonly lastAdmin: LastAdminRule,
    private readonly events: EventsService,
  ) {}

  /**
   * Changes the name, username and profile data at once (only the data's keys given; null removes
   * one). A new email waits for its confirmation link (`pendingEmail`); asking for the current
   * email again cancels a pending change.
   */
  async updateProfile(user: User, changes: UpdateProfileDto): Promise<ProfileUpdate> {
    const { email, data, ...rest } = changes;
    const dataChanges = data === undefined ? undefined : this.profileFields.forUpdate(data);
    return this.transactions.run(async () => {
      // Read inside the transaction: what this update changes, whatever other requests did.
      const before = await this.users.findById(user._id);
      let updated = await this.users.updateProfile(user._id, { ...rest, data: dataChanges });
      if (!before || !updated) throw accountGone();
      const fields = changedFields(before, updated);
      if (fields.length > 0) {
        await this.events.record({
          type: 'profile.updated',
          userId: user._id,
          details: { fields },
        });
      }
      if (email === undefined) return { user: updated, emailChangePending: false };
      updated = await this.verification.requestChange(updated, email);
      return { user: updated, emailChangePending: updated.pendingEmail !== undefined };
    });
  }

  /**
   * Changes (or first sets) the password and ends every other session of the account. The current
   * password is required when there is one.
   */
  async changePassword({ user, session }: Auth, dto: ChangePasswordDto): Promise<void> {
    if (typeof user.passwordHash === 'string') {
      if (dto.currentPassword === undefined) throw passwordMissing('currentPassword');
      await this.auth.confirmPassword(user, dto.currentPassword, 'currentPassword');
    }
    this.policy.assertAcceptable(dto.newPassword, 'newPassword', user);
    const passwordHash = await this.hasher.hash(dto.newPassword, accountKeyOfUser(user._id));
    await this.transactions.run(async () => {
      const updated = await this.users.setPasswordHash(user._id, passwordHash, user.passwordHash);
      if (!updated) throw (await this.users.findById(user._id)) ? passwordChanged() : accountGone();
      await this.sessions.endOthers(user._id, session._id);
      const action = typeof user.passwordHash === 'string' ? 'changed' : 'set';
      await this.events.record({ type: `password.${action}`, userId: user._id });
      await this.notices.send(updated, 'password-notice', { action });
    });
  }

  /** Deletes the account and all its sessions; the password is required when there is one. */
  async deleteAccount({ user }: Auth, password: string | undefined): Promise<void> {
    if (typeof user.passwordHash === 'string') {
      if (password === undefined) throw passwordMissing('password');
      await this.auth.confirmPassword(user, password, 'password');
    }
    await this.transactions.run(async () => {
      if (!(await this.deleteUser(user._id))) throw accountGone();
      await this.events.record({ type: 'user.deleted', userId: user._id });
    });
  }

  /**
   * Deletes an account (its owner's choice, or an admin's): its sessions end, what its apps hold
   * is revoked, and its verified address gets a notice. The last enabled admin cannot be deleted
   * (LAST_ADMIN). `vet` may refuse it by throwing, once the account is read in the transaction.
   * Returns false when there was no such account. Joins the caller's transaction.
   */
  async deleteUser(id: Types.ObjectId, vet?: (user: User) => void): Promise<boolean> {
    return this.transactions.run(async () => {
      const user = await this.users.findById(id);
      if (!user) return false;
      vet?.(user);
      const deleted = await this.lastAdmin.guard(user, () => this.users.delete(id));
      if (!deleted) return false;
      await this.sessions.endAll(id);
      await this.notices.send(user, 'account-deleted', {});
      return true;
    });
  }
}

/** Whether a profile edit changes what the person types to sign in (their email or username). */
export function changesSignInName(user: User, changes: { email?: unknown; username?: unknown }) {
  const differs = (value: unknown, current: string | undefined, normalise: (v: string) => string) =>
    typeof value === 'string' && value.trim() !== '' && normalise(value) !== current;
  return (
    differs(changes.email, user.email, normaliseEmail) ||
    differs(changes.username, user.username, normaliseUsername)
  );
}

/** The profile fields an update changed: names only (`name`, `username`, `data.<key>`), never values. */
export function changedFields(before: User, after: User): string[] {
  const fields = (['name', 'username'] as const).filter((field) => before[field] !== after[field]);
  const [was, is] = [profileDataOf(before), profileDataOf(after)];
  const keys = [...new Set([...Object.keys(was), ...Object.keys(is)])].sort();
  return [...fields, ...keys.filter((key) => was[key] !== is[key]).map((key) => `data.${key}`)];
}

/**
 * The account has a password and the request did not give it: not proven, like a wrong one (the
 * body is valid as such, since accounts without a password leave the field out).
 */
function passwordMissing(field: string): AppError {
  return new AppError(
    'WRONG_PASSWORD',
    `${field} is required: confirm this change with your current password.`,
    field,
  );
}

/** Another request set or changed the password after this one was checked against it. */
function passwordChanged(): AppError {
  return new AppError(
    'PASSWORD_CHANGED',
    'The password was set or changed by another request meanwhile, so nothing was changed. Try again with the current password.',
  );
}

function accountGone(): AppError {
  return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
}
