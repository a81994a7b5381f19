import { Injectable } from '@nestjs/common';
import { WriteBatches } from '../platform/database/write-batches';
import type { User } from '../users/schemas/user.schema';
import { accountDisabledError } from './account-disabled';
import { takesSecondStep } from './methods/sign-in-methods';
import type { Session } from './sessions/session.schema';
import { SessionClient, SessionsService } from './sessions/sessions.service';
import { SignInRecord } from './sign-in-record';
import { SignInWrites } from './sign-in-writes';
import { SecondSteps } from './two-step/second-steps';

/** Where a sign-in comes from, and the session it takes the place of. */
export interface SignInClient extends SessionClient {
  /** The token of the session this browser had until now: it ends once the new one is written. */
  replacing?: string;
}

/** A finished sign-in: what a controller needs to set the cookie and answer. */
export interface CompletedSignIn {
  status: 'signed-in';
  user: User;
  session: Session;
  /** The new session's token, for the cookie only. */
  token: string;
  /** How long the cookie may live. */
  lifetimeMs: number;
}

/**
 * A sign-in that waits for two-step sign-in's second factor: no session exists yet; the pending
 * step's token goes into its cookie (SecondStepCookie), and POST /auth/second-factor (or the page
 * /login/second-factor) finishes it.
 */
export interface SecondStepRequired {
  status: 'second-factor-required';
  user: User;
  /** The pending step's token, for its cookie only. */
  token: string;
}

/** What the door gives back: every caller must handle both. */
export type SignInOutcome = CompletedSignIn | SecondStepRequired;

/**
 * The one door every sign-in ends at, whatever proved who someone is (a password, a provider, a
 * new account): the API, the pages and the provider callback hand it what was proved, and only set
 * the cookie it returns. So the disabled-account check, two-step sign-in, the audit event, the
 * session and the account's last sign-in are written alike for all of them (SignInWrites: one
 * round trip).
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly writes: SignInWrites,
    private readonly sessions: SessionsService,
    private readonly secondSteps: SecondSteps,
    private readonly batches: WriteBatches,
  ) {}

  /**
   * Starts a session for the person `proved` names, with the writes its proof left, and ends the
   * session the client had. ACCOUNT_DISABLED, and nothing written, for a disabled account (the
   * methods refuse it as soon as its proof is accepted; this holds for any that does not), and
   * when it was disabled meanwhile (SignInWrites checks that with its writes).
   *
   * An account with two-step sign-in on gets no session from a proof of one factor: the proof's
   * writes are sent with a pending second step instead (SecondSteps), and the session the client
   * had stays. A proof that is two factors already (a passkey, or one with its second factor)
   * signs in.
   */
  async complete(proved: SignInRecord, client: SignInClient): Promise<SignInOutcome> {
    if (proved.user.disabled === true) throw accountDisabledError();
    if (this.needsSecondStep(proved)) {
      const { token, write } = await this.secondSteps.starting(proved.user._id, proved.proof);
      await this.batches.write([...proved.writes, write]);
      return { status: 'second-factor-required', user: proved.user, token };
    }
    const { token, session } = await this.writes.write(proved, {
      userAgent: client.userAgent,
      ip: client.ip,
    });
    if (client.replacing !== undefined) await this.sessions.end(client.replacing);
    return {
      status: 'signed-in',
      user: proved.user,
      session,
      token,
      lifetimeMs: this.sessions.absoluteLifetimeMs,
    };
  }

  private needsSecondStep({ user, proof }: SignInRecord): boolean {
    return (
      user.twoStep?.enabled === true &&
      proof.secondFactor === undefined &&
      takesSecondStep(proof.method)
    );
  }
}
