import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config';

/** How often, while requests finish, keep-alive connections are checked for having fallen idle. */
const IDLE_CHECK_MS = 100;

/**
 * Stopping an instance without losing work (SIGTERM through main.ts's shutdown hooks, or
 * app.close()). Nest stops in this order, and each step has its place:
 *
 *  1. beforeApplicationShutdown, here: the HTTP server stops accepting connections; requests under
 *     way finish, their keep-alive connections closing as they fall idle. Past the deadline, what
 *     is left is cut off.
 *  2. onApplicationShutdown of the workers (MailRelay, and any outbox worker modelled on it): stop
 *     claiming work, wait for the delivery under way until the same deadline, and hand back a claim
 *     still held then, so another instance takes it at once.
 *  3. The database connection closes last (its module is global, and Nest stops those last).
 *
 * One deadline for the whole: SHUTDOWN_GRACE_SECONDS after shutdown began.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private deadline?: number;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: AppConfig,
  ) {}

  /** Whether the instance has begun to stop. */
  get stopping(): boolean {
    return this.deadline !== undefined;
  }

  /** What is left of SHUTDOWN_GRACE_SECONDS since shutdown began (all of it before). */
  remainingMs(): number {
    if (this.deadline === undefined) return this.config.SHUTDOWN_GRACE_SECONDS * 1000;
    return Math.max(0, this.deadline - Date.now());
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.deadline ??= Date.now() + this.config.SHUTDOWN_GRACE_SECONDS * 1000;
    // A command-line context (src/cli.ts) has no HTTP server; a test app may never have listened.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    this.logger.log(`Stopping${signal ? ` on ${signal}` : ''}: finishing the requests under way`);
    const drained = await drain(server, this.remainingMs());
    if (!drained) {
      this.logger.warn(
        `Requests still under way after SHUTDOWN_GRACE_SECONDS (${this.config.SHUTDOWN_GRACE_SECONDS} s) were cut off`,
      );
    }
  }
}

/**
 * Closes `server`: no new connections; each open one closes once it has no request under way.
 * Resolves true when all have, false when `graceMs` ran out first (the rest are then destroyed).
 */
async function drain(server: Server, graceMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A request arriving on a kept-alive connection still gets its answer, and the connection closes
  // after it. First among the listeners, before the app may have sent the headers.
  const closeAfterwards = (_request: IncomingMessage, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  server.prependListener('request', closeAfterwards);
  // Node closes the idle connections once (server.close); those busy now fall idle later.
  const idleCheck = setInterval(() => server.closeIdleConnections(), IDLE_CHECK_MS);
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<false>((resolve) => (timer = setTimeout(resolve, graceMs, false)));
  const drained = await Promise.race([closed.then(() => true), outOfTime]);
  clearInterval(idleCheck);
  clearTimeout(timer);
  if (!drained) {
    server.closeAllConnections();
    await closed;
  }
  server.off('request', closeAfterwards);
  return drained;
}
