import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../../platform/http/app-error';
import { commonPasswordList, PasswordOwner, passwordProblem } from './password-policy';
import { PasswordConfig, passwordConfig } from './password-config';

/**
 * The password rules with this service's minimum length. Every route that sets a password
 * (registration, change, a future reset) calls assertAcceptable with the account it is for.
 */
@Injectable()
export class PasswordPolicy {
  constructor(@Inject(passwordConfig.KEY) private readonly config: PasswordConfig) {
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
