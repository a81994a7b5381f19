import { Injectable } from '@nestjs/common';
import type { User } from '../users/schemas/user.schema';
import { accountDisabledError } from './account-disabled';
import type { Session } from './sessions/session.schema';
import { SessionClient, SessionsService } from './sessions/sessions.service';
import { SignInRecord } from './sign-in-record';
import { SignInWrites } from './sign-in-writes';

/** Where a sign-in comes from, and the session it takes the place of. */
export interface SignInClient extends SessionClient {
  /** The token of the session this browser had until now: it ends once the new one is written. */
  replacing?: string;
}

/** A finished sign-in: what a controller needs to set the cookie and answer. */
export interface CompletedSignIn {
  user: User;
  session: Session;
  /** The new session's token, for the cookie only. */
  token: string;
  /** How long the cookie may live. */
  lifetimeMs: number;
}

/**
 * The one door every sign-in ends at, whatever proved who someone is (a password, a provider, a
 * new account): the API, the pages and the provider callback hand it what was proved, and only set
 * the cookie it returns. So the disabled-account check, the audit event, the session and the
 * account's last sign-in are written alike for all of them (SignInWrites: one round trip).
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly writes: SignInWrites,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * Starts a session for the person `proved` names, with the writes its proof left, and ends the
   * session the client had. ACCOUNT_DISABLED, and nothing written, for a disabled account (the
   * methods refuse it as soon as its proof is accepted; this holds for any that does not), and
   * when it was disabled meanwhile (SignInWrites checks that with its writes).
   */
  async complete(proved: SignInRecord, client: SignInClient): Promise<CompletedSignIn> {
    if (proved.user.disabled === true) throw accountDisabledError();
    const { token, session } = await this.writes.write(proved, {
      userAgent: client.userAgent,
      ip: client.ip,
    });
    if (client.replacing !== undefined) await this.sessions.end(client.replacing);
    return { user: proved.user, session, token, lifetimeMs: this.sessions.absoluteLifetimeMs };
  }
}
