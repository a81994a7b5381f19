import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { usernameBaseFromEmail } from '../users/identifiers';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { AccountAttempts } from './account-attempts';
import { accountKeyOfLogin, accountKeyOfUser } from './account-key';
import { RegisterDto } from './dto/register.dto';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicy } from './password-policy.service';

/** Creating local accounts and checking their credentials. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly attempts: AccountAttempts,
  ) {}

  async register(dto: RegisterDto): Promise<User> {
    this.policy.assertAcceptable(dto.password, 'password');
    return this.users.create({
      email: dto.email,
      username: dto.username,
      usernameBase: usernameBaseFromEmail(dto.email),
      name: dto.name,
      passwordHash: await this.hasher.hash(dto.password, accountKeyOfLogin(dto.email)),
    });
  }

  /**
   * The account for an email-or-username and password. Every failure gives the same error, and an
   * unknown account still costs one password verification, so neither reveals which accounts exist.
   */
  async verifyCredentials(login: string, password: string): Promise<User> {
    const user = await this.users.findByLogin(login);
    // Counted per account, or per login typed when there is none: the answers are the same.
    const key = user ? accountKeyOfUser(user._id) : accountKeyOfLogin(login);
    await this.attempts.consume(key);
    const valid = await this.hasher.verify(user?.passwordHash, password, key);
    if (!user || !valid) {
      throw new AppError('INVALID_CREDENTIALS', 'The login or password is incorrect.');
    }
    if (user.passwordHash && this.hasher.needsRehash(user.passwordHash)) {
      const upgraded = await this.hasher.hash(password, key);
      await this.users.upgradePasswordHash(user._id, user.passwordHash, upgraded);
    }
    return user;
  }
}
