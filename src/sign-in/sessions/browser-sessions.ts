import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { User } from '../../users/schemas/user.schema';
import { UsersRepository } from '../../users/users.repository';
import { Auth } from '../authenticated-request';
import { SessionCookie } from './session-cookie';
import { SessionsService, TokenChange } from './sessions.service';
import type {
  CompletedSignIn,
  SecondStepRequired,
  SignInClient,
  SignInOutcome,
} from '../sign-in.service';
import { SecondStepCookie } from '../two-step/second-step-cookie';
import { secondFactorRequiredError } from '../two-step/second-factor-errors';

/**
 * The HTTP edge of sessions: which session a request's cookie belongs to, and the cookie a
 * response must carry when a session starts, changes token or ends. The rules are in
 * SessionsService, which takes plain values; a session starts at SignInService.complete.
 */
@Injectable()
export class BrowserSessions {
  constructor(
    private readonly cookie: SessionCookie,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
    private readonly secondStepCookie: SecondStepCookie,
  ) {}

  /**
   * The signed-in user and session behind the request's cookie, or null. A disabled account's
   * sessions end when it is disabled; one started in the same instant is refused here.
   */
  async authenticate(request: Request): Promise<Auth | null> {
    const token = this.cookie.read(request);
    // The session and its account in one round trip; the account is read afresh every time.
    const found =
      token === undefined
        ? null
        : await this.sessions.resolve<User>(token, (as) => this.users.lookupById('userId', as));
    const session = found?.session;
    const user = found?.joined[0];
    return session && user && user.disabled !== true ? { user, session } : null;
  }

  /** Where a sign-in from this request comes from, and the session this browser had until now. */
  signInClient(request: Request): SignInClient {
    return {
      userAgent: request.headers['user-agent'],
      // The client's address as express computes it under TRUST_PROXY.
      ip: request.ip,
      replacing: this.cookie.read(request),
    };
  }

  /** The cookie of the session a sign-in started (SignInService.complete). */
  setCookie(response: Response, { token, lifetimeMs }: CompletedSignIn): void {
    this.cookie.write(response, token, lifetimeMs);
    this.secondStepCookie.clear(response);
  }

  /** The cookie of a sign-in that waits for its second factor (SecondStepCookie). */
  setSecondStepCookie(response: Response, { token }: SecondStepRequired): void {
    this.secondStepCookie.write(response, token);
  }

  /**
   * For the API: the cookie `outcome` calls for, and the signed-in sign-in; a sign-in that waits
   * for its second factor is answered 401 SECOND_FACTOR_REQUIRED (with its cookie).
   */
  signedInOrSecondStep(response: Response, outcome: SignInOutcome): CompletedSignIn {
    if (outcome.status === 'second-factor-required') {
      this.setSecondStepCookie(response, outcome);
      throw secondFactorRequiredError();
    }
    this.setCookie(response, outcome);
    return outcome;
  }

  /** A new token for this browser's session (SessionsService.rotate says what becomes of the old one). */
  async renew(response: Response, { session }: Auth, change: TokenChange): Promise<void> {
    const token = await this.sessions.rotate(session, change);
    if (token !== undefined) {
      this.cookie.write(response, token, session.absoluteExpiresAt.getTime() - Date.now());
    }
  }

  /**
   * Ends one of the signed-in account's sessions by its public id; when it is this browser's own,
   * this browser is signed out. Returns whether it was.
   */
  async end(response: Response, { user, session }: Auth, publicId: string): Promise<boolean> {
    const ended = await this.sessions.endOne(user._id, publicId);
    const wasThisOne = ended._id === session._id;
    if (wasThisOne) this.cookie.clear(response);
    return wasThisOne;
  }

  /** Clears the cookie of a session that no longer exists (its account was deleted). */
  forget(response: Response): void {
    this.cookie.clear(response);
  }

  /** Signs this browser out, here and at the OpenID provider (SessionsService.signOut). */
  async signOut(request: Request, response: Response): Promise<void> {
    const token = this.cookie.read(request);
    if (token !== undefined) await this.sessions.signOut(token);
    this.cookie.clear(response);
  }
}
