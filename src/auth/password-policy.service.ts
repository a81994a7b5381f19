import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { passwordProblem } from './password-policy';

@Injectable()
export class PasswordPolicy {
  constructor(private readonly config: AppConfig) {}

  get minLength(): number {
    return this.config.PASSWORD_MIN_LENGTH;
  }

  /** Why the password is refused, or undefined. */
  problem(password: string): string | undefined {
    return passwordProblem(password, this.config.PASSWORD_MIN_LENGTH);
  }

  /** Throws WEAK_PASSWORD naming the field when the password breaks the policy. */
  assertAcceptable(password: string, field: string): void {
    const problem = this.problem(password);
    if (problem !== undefined) throw new AppError('WEAK_PASSWORD', problem, field);
  }
}
