import { Injectable } from '@nestjs/common';
import { AccountAttempts } from '../auth/account-attempts';
import { accountKeyOfUser } from '../auth/account-key';
import { Auth } from '../auth/authenticated-request';
import { PasswordHasher } from '../auth/password-hasher.service';
import { PasswordPolicy } from '../auth/password-policy.service';
import { SessionsService } from '../auth/sessions.service';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { ChangePasswordDto } from './dto/change-password.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';

/** What a signed-in person can do to their own account. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
    private readonly attempts: AccountAttempts,
  ) {}

  async updateProfile(user: User, changes: UpdateProfileDto): Promise<User> {
    const updated = await this.users.updateProfile(user._id, changes);
    if (!updated) throw this.accountGone();
    return updated;
  }

  /** Changes (or first sets) the password and ends every other session of the account. */
  async changePassword({ user, session }: Auth, dto: ChangePasswordDto): Promise<void> {
    await this.confirmIdentity({ user, session }, dto.currentPassword, 'currentPassword');
    this.policy.assertAcceptable(dto.newPassword, 'newPassword');
    const updated = await this.users.setPasswordHash(
      user._id,
      await this.hasher.hash(dto.newPassword, accountKeyOfUser(user._id)),
    );
    if (!updated) throw this.accountGone();
    await this.sessions.endAllForUser(user._id, session._id);
  }

  async deleteAccount(auth: Auth, password: string | undefined): Promise<void> {
    await this.confirmIdentity(auth, password, 'password');
    await this.users.delete(auth.user._id);
    await this.sessions.endAllForUser(auth.user._id);
  }

  /**
   * Sensitive changes need the account's password; an account without one instead needs a
   * sign-in within the last few minutes.
   */
  private async confirmIdentity(
    { user, session }: Auth,
    password: string | undefined,
    field: string,
  ) {
    if (user.passwordHash === undefined) {
      const ageSeconds = (Date.now() - session.authenticatedAt.getTime()) / 1000;
      if (ageSeconds > this.config.RECENT_SIGN_IN_SECONDS) {
        throw new AppError(
          'RECENT_SIGN_IN_REQUIRED',
          'This account has no password, so this change needs a recent sign-in. Sign in again, then retry within a few minutes.',
        );
      }
      return;
    }
    if (password === undefined) {
      throw new AppError('VALIDATION_FAILED', `${field} is required`, field);
    }
    const key = accountKeyOfUser(user._id);
    await this.attempts.consume(key);
    if (!(await this.hasher.verify(user.passwordHash, password, key))) {
      throw new AppError('WRONG_PASSWORD', 'The password is incorrect.', field);
    }
  }

  private accountGone(): AppError {
    return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
  }
}
