import { Injectable } from '@nestjs/common';
import { accountKeyOfUser } from '../auth/account-key';
import { Auth } from '../auth/authenticated-request';
import { AuthService } from '../auth/auth.service';
import { PasswordHasher } from '../auth/password-hasher.service';
import { PasswordPolicy } from '../auth/password-policy.service';
import { SessionsService } from '../auth/sessions.service';
import { AppError } from '../common/app-error';
import { normaliseEmail, normaliseUsername } from '../users/identifiers';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';

/** What a signed-in person can do to their own account. Recent sign-in is checked by the routes. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
  ) {}

  async updateProfile(user: User, changes: UpdateProfileDto): Promise<User> {
    const updated = await this.users.updateProfile(user._id, changes);
    if (!updated) throw accountGone();
    return updated;
  }

  /**
   * Changes (or first sets) the password and ends every other session of the account. The current
   * password is required when there is one.
   */
  async changePassword({ user, session }: Auth, dto: ChangePasswordDto): Promise<void> {
    if (typeof user.passwordHash === 'string') {
      if (dto.currentPassword === undefined) {
        throw new AppError('VALIDATION_FAILED', 'currentPassword is required', 'currentPassword');
      }
      await this.auth.confirmPassword(user, dto.currentPassword, 'currentPassword');
    }
    this.policy.assertAcceptable(dto.newPassword, 'newPassword', user);
    const updated = await this.users.setPasswordHash(
      user._id,
      await this.hasher.hash(dto.newPassword, accountKeyOfUser(user._id)),
    );
    if (!updated) throw accountGone();
    await this.sessions.endOthers(user._id, session._id);
  }

  /** Deletes the account and all its sessions; the password is required when there is one. */
  async deleteAccount({ user }: Auth, password: string | undefined): Promise<void> {
    if (typeof user.passwordHash === 'string') {
      if (password === undefined) {
        throw new AppError('VALIDATION_FAILED', 'password is required', 'password');
      }
      await this.auth.confirmPassword(user, password, 'password');
    }
    await this.users.delete(user._id);
    await this.sessions.endAll(user._id);
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

function accountGone(): AppError {
  return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
}
