import { Injectable } from '@nestjs/common';
import { AppError } from '../../../platform/http/app-error';
import { AppConfig } from '../../../platform/config/app-config';
import { commonPasswordList, PasswordOwner, passwordProblem } from './password-policy';

/**
 * The password rules with this service's minimum length. Every route that sets a password
 * (registration, change, a future reset) calls assertAcceptable with the account it is for.
 */
@Injectable()
export class PasswordPolicy {
  constructor(private readonly config: AppConfig) {
    // Read the list of common passwords now, at start-up, so that no request waits for it.
    commonPasswordList();
  }

  get minLength(): number {
    return this.config.PASSWORD_MIN_LENGTH;
  }

  /** Why the password is refused for this owner, or undefined. */
  problem(password: string, owner: PasswordOwner): string | undefined {
    return passwordProblem(password, this.config.PASSWORD_MIN_LENGTH, owner);
  }

  /** Throws WEAK_PASSWORD naming the field when the password breaks the policy. */
  assertAcceptable(password: string, field: string, owner: PasswordOwner): void {
    const problem = this.problem(password, owner);
    if (problem !== undefined) throw new AppError('WEAK_PASSWORD', problem, field);
  }
}
