import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import mongoose, { ClientSession, Connection } from 'mongoose';
import type { AsyncLocalStorage } from 'node:async_hooks';
import { isDatabaseUnavailable } from './database-unavailable';

/** Callbacks waiting for each open transaction to commit. */
const afterCommit = new WeakMap<ClientSession, (() => void)[]>();

/** What each open transaction's current attempt has noted (see Transactions.attemptNotes). */
const attemptNotes = new WeakMap<ClientSession, Map<string, unknown>>();

/** Mongoose keeps the transaction's session here once transactionAsyncLocalStorage is set (untyped). */
const transactionStorage = () =>
  (
    mongoose as unknown as {
      transactionAsyncLocalStorage?: AsyncLocalStorage<{ session?: ClientSession }>;
    }
  ).transactionAsyncLocalStorage;

/**
 * Carries an error out of the driver's withTransaction without it retrying: it retries a network
 * error in a transaction (TransientTransactionError) for up to 120 s, while the request waits.
 */
class NotRetried extends Error {
  constructor(readonly error: unknown) {
    super('Not retried');
  }
}

/** The session of the transaction the caller runs in (Transactions.run), if any. */
export function currentTransaction(): ClientSession | undefined {
  return transactionStorage()?.getStore()?.session;
}

/** Whether the caller runs inside Transactions.run (where a failed write ends the transaction). */
export function inTransaction(): boolean {
  return currentTransaction() !== undefined;
}

/**
 * Several writes as one step: all of them or none (a change and the mail it causes, for example).
 * Every mongoose operation inside `run` joins the transaction by itself (mongoose's
 * transactionAsyncLocalStorage, set in DatabaseModule), so repositories need no session argument.
 * A transient conflict re-runs the work, so it must not have effects outside the database: those
 * go to `afterCommit`. A database that cannot be reached fails it at once (isDatabaseUnavailable),
 * a connection dropped under a write included: the request answers 503 and may be sent again,
 * rather than wait while the driver tries again.
 */
@Injectable()
export class Transactions implements OnModuleInit {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** A standalone server refuses transactions: say so at start-up, not on the first registration. */
  async onModuleInit(): Promise<void> {
    const hello = (await this.connection.db!.admin().command({ hello: 1 })) as {
      setName?: string;
      msg?: string;
    };
    if (hello.setName === undefined && hello.msg !== 'isdbgrid') {
      throw new Error(
        'MongoDB is a standalone server, which refuses transactions: run it as a replica set (a single-node one is enough: mongod --replSet rs0, then rs.initiate()) and add ?replicaSet=… to MONGODB_URI.',
      );
    }
  }

  /** Runs `work` in a transaction, or inside the current one when already in one. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (currentTransaction()) return work();
    let callbacks: (() => void)[] = [];
    const result = await this.connection
      .transaction(async (session) => {
        callbacks = [];
        afterCommit.set(session, callbacks);
        attemptNotes.set(session, new Map());
        try {
          return await work();
        } catch (error) {
          throw isDatabaseUnavailable(error) ? new NotRetried(error) : error;
        }
      })
      .catch((error: unknown) => {
        throw error instanceof NotRetried ? error.error : error;
      });
    for (const callback of callbacks) callback();
    return result;
  }

  /**
   * Notes the current transaction's work keeps while it runs (what it already wrote, say), and
   * loses when a transient conflict runs the work again: the writes they describe are gone too.
   * Undefined outside a transaction.
   */
  attemptNotes(): Map<string, unknown> | undefined {
    const session = currentTransaction();
    return session && attemptNotes.get(session);
  }

  /** Calls `callback` once the current transaction has committed; outside one, at once. */
  afterCommit(callback: () => void): void {
    const session = currentTransaction();
    const callbacks = session && afterCommit.get(session);
    if (callbacks) callbacks.push(callback);
    else callback();
  }
}
