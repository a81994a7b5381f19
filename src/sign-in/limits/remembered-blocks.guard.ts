import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AccountAttempts } from './account-attempts';

/**
 * Refuses a sign-in at an account this instance already knows to be past its limits, before the
 * per-client count (ThrottlerGuard) or anything else makes a round trip: a flood at one account
 * from many addresses then costs no database work once the account is blocked. The answer is
 * the one the sign-in itself would give (AccountAttempts.checkLogin). A body without a string
 * `login` goes on, to be refused by validation.
 */
@Injectable()
export class RememberedBlocksGuard implements CanActivate {
  constructor(private readonly attempts: AccountAttempts) {}

  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<Request>().body as
      { login?: unknown } | undefined;
    const login = body?.login;
    if (typeof login === 'string') this.attempts.refuseRememberedLogin(login);
    return true;
  }
}
