import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { passwordProblem } from './password-policy';

@Injectable()
export class PasswordPolicy {
  constructor(private readonly config: AppConfig) {}

  /** Throws WEAK_PASSWORD naming the field when the password breaks the policy. */
  assertAcceptable(password: string, field: string): void {
    const problem = passwordProblem(password, this.config.PASSWORD_MIN_LENGTH);
    if (problem !== undefined) throw new AppError('WEAK_PASSWORD', problem, field);
  }
}
