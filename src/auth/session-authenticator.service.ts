import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { Auth } from './authenticated-request';
import { SessionCookie } from './session-cookie';
import { SessionsService } from './sessions.service';

/** Browser sign-in state: who a request's session cookie belongs to, and starting or ending one. */
@Injectable()
export class SessionAuthenticator {
  constructor(
    private readonly cookie: SessionCookie,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
  ) {}

  /** The signed-in user and session behind the request's cookie, or null. */
  async authenticate(request: Request): Promise<Auth | null> {
    const token = this.cookie.read(request);
    const session = token === undefined ? null : await this.sessions.resolve(token);
    const user = session && (await this.users.findById(session.userId));
    return session && user ? { user, session } : null;
  }

  /** A fresh session for the user; a session this browser already had is ended. */
  async signIn(user: User, request: Request, response: Response): Promise<void> {
    const previous = this.cookie.read(request);
    if (previous !== undefined) await this.sessions.end(previous);
    const { token } = await this.sessions.start(user._id, request.headers['user-agent']);
    this.cookie.write(response, token, this.sessions.absoluteLifetimeMs);
  }

  async signOut(request: Request, response: Response): Promise<void> {
    const token = this.cookie.read(request);
    if (token !== undefined) await this.sessions.end(token);
    this.cookie.clear(response);
  }
}
