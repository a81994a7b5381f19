import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from './event.schema';

/** What the current request says about who is acting and from where (one per request). */
export interface RequestFacts {
  ip?: string;
  userAgent?: string;
  actor?: Actor;
}

/**
 * Who is acting in the current request, for the events it causes, kept in an AsyncLocalStorage
 * that RequestContextMiddleware opens for each request. The guards that establish who the caller
 * is (session, API key) say so here; code outside a request (the CLI) runs inside `runAs`.
 */
@Injectable()
export class RequestContext {
  private readonly storage = new AsyncLocalStorage<RequestFacts>();

  /** Runs the rest of the request (`next`) in a context of its own. */
  enter(request: Request, next: () => void): void {
    const facts: RequestFacts = {
      ip: request.ip?.slice(0, 64),
      userAgent: request.headers['user-agent']?.slice(0, 256),
    };
    this.storage.run(facts, next);
  }

  /** Called by the guard that established who the caller is. */
  setActor(actor: Actor): void {
    const facts = this.storage.getStore();
    if (facts) facts.actor = actor;
  }

  /** Runs `work` with `actor` as the one acting (the CLI, a background job). */
  runAs<T>(actor: Actor, work: () => Promise<T>): Promise<T> {
    return this.storage.run({ actor }, work);
  }

  get actor(): Actor {
    return this.storage.getStore()?.actor ?? { kind: 'anonymous' };
  }

  get client(): { ip?: string; userAgent?: string } {
    const facts = this.storage.getStore();
    return facts ? { ip: facts.ip, userAgent: facts.userAgent } : {};
  }
}

/**
 * Opens each request's context. A Nest middleware, so it runs after the body parsers of
 * configure-app: a context opened before them would be lost in their stream callbacks.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(private readonly context: RequestContext) {}

  use(request: Request, _response: Response, next: NextFunction): void {
    this.context.enter(request, next);
  }
}
