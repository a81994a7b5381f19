import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { Auth } from '../sign-in/authenticated-request';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';

/**
 * Who is signed in here, as the provider follows it: this service's session, read once per
 * request, however many of the provider's steps (its interaction policy, the interaction) ask.
 * The provider's own handler sees the same request object as express does (koa's `ctx.req`).
 */
@Injectable()
export class ServiceSession {
  private readonly read = new WeakMap<Request, Promise<Auth | null>>();

  constructor(private readonly browserSessions: BrowserSessions) {}

  of(request: Request): Promise<Auth | null> {
    let auth = this.read.get(request);
    if (!auth) {
      auth = this.browserSessions.authenticate(request);
      this.read.set(request, auth);
    }
    return auth;
  }
}
