import { Injectable } from '@nestjs/common';
import type { Request, RequestHandler } from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor } from './event.schema';

/** Who is acting, and the request they act through (one per request). */
export interface RequestFacts {
  /** Read only when an event is recorded: most requests record none. */
  request?: Pick<Request, 'ip' | 'headers'>;
  actor?: Actor;
}

/**
 * Who is acting in the current request, for the events it causes, kept in an AsyncLocalStorage
 * that `middleware` opens for each request. The guards that establish who the caller is (session,
 * API key) say so here; code outside a request (the CLI) runs inside `runAs`.
 */
@Injectable()
export class RequestContext {
  private readonly storage = new AsyncLocalStorage<RequestFacts>();

  /**
   * Express middleware that opens each request's context. configure-app mounts it after the body
   * parsers: a context opened before them would be lost in their stream callbacks.
   */
  readonly middleware: RequestHandler = (request, _response, next) => this.enter(request, next);

  /** Runs the rest of the request (`next`) in a context of its own. */
  enter(request: Request, next: () => void): void {
    this.storage.run({ request }, next);
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
    const request = this.storage.getStore()?.request;
    if (!request) return {};
    // request.ip as express computes it under TRUST_PROXY.
    return {
      ip: request.ip?.slice(0, 64),
      userAgent: request.headers['user-agent']?.slice(0, 256),
    };
  }
}
