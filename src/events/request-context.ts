import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ClsService, ClsStore } from 'nestjs-cls';
import type { Actor } from './event.schema';

/** What the current request says about who is acting and from where (nestjs-cls, one per request). */
export interface RequestFacts extends ClsStore {
  ip?: string;
  userAgent?: string;
  actor?: Actor;
}

/** Fills the request's context as the request arrives (ClsModule's middleware `setup`). */
export function describeRequest(cls: ClsService<RequestFacts>, request: Request): void {
  cls.set('ip', request.ip?.slice(0, 64));
  cls.set('userAgent', request.headers['user-agent']?.slice(0, 256));
}

/**
 * Who is acting in the current request, for the events it causes. The guards that establish who
 * the caller is (session, API key) say so here; code outside a request (the CLI) runs inside
 * `runAs`.
 */
@Injectable()
export class RequestContext {
  constructor(private readonly cls: ClsService<RequestFacts>) {}

  /** Called by the guard that established who the caller is. */
  setActor(actor: Actor): void {
    if (this.cls.isActive()) this.cls.set('actor', actor);
  }

  /** Runs `work` with `actor` as the one acting (the CLI, a background job). */
  runAs<T>(actor: Actor, work: () => Promise<T>): Promise<T> {
    return this.cls.run(() => {
      this.cls.set('actor', actor);
      return work();
    });
  }

  get actor(): Actor {
    return (this.cls.isActive() && this.cls.get('actor')) || { kind: 'anonymous' };
  }

  get client(): { ip?: string; userAgent?: string } {
    if (!this.cls.isActive()) return {};
    return { ip: this.cls.get('ip'), userAgent: this.cls.get('userAgent') };
  }
}
