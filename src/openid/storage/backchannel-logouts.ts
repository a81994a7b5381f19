import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { randomUUID } from 'node:crypto';
import { Transactions } from '../../platform/database/transactions';
import { OpenIdConfig, openIdConfig } from '../openid-config';
import { BackchannelLogout } from './backchannel-logout.schema';

/** A provider session as it was stored when it ended (MongoAdapter's record). */
export interface EndedSession {
  payload: {
    accountId?: unknown;
    /** The apps it signed in, each with its `sid` there. */
    authorizations?: Record<string, { sid?: unknown } | undefined>;
  };
  expiresAt?: Date;
}

/**
 * The logout tokens owed to the apps (OpenID Connect Back-Channel Logout 1.0): for each provider
 * session that ends, one message per app it signed in that has a `backchannel_logout_uri`,
 * written to the outbox in the ending's transaction, so that it exists exactly when the ending
 * does. BackchannelLogoutRelay delivers them.
 */
@Injectable()
export class BackchannelLogouts {
  private readonly listening = new Set<string>();
  private readonly wakers: Array<() => void> = [];

  constructor(
    @InjectModel(BackchannelLogout.name) private readonly messages: Model<BackchannelLogout>,
    private readonly transactions: Transactions,
    @Inject(openIdConfig.KEY) openid: OpenIdConfig,
  ) {
    for (const client of openid.oidcClients) {
      if (client.backchannel_logout_uri) this.listening.add(client.client_id);
    }
  }

  /** Whether any app takes logout tokens: without one, endings write nothing. */
  get wanted(): boolean {
    return this.listening.size > 0;
  }

  /** The relay, woken once a transaction that wrote messages has committed. */
  onWritten(wake: () => void): void {
    this.wakers.push(wake);
  }

  /** Call inside the ending's transaction, with the sessions it deleted. */
  async enqueue(ended: EndedSession[]): Promise<void> {
    const now = new Date();
    const messages = ended
      // A session already past its expiry had ended for the apps too.
      .filter(({ expiresAt }) => !expiresAt || expiresAt > now)
      .flatMap(({ payload }) =>
        Object.entries(payload.authorizations ?? {})
          .filter(([clientId]) => this.listening.has(clientId))
          .map(([clientId, authorization]) => ({
            clientId,
            sub: String(payload.accountId),
            ...(typeof authorization?.sid === 'string' && { sid: authorization.sid }),
            jti: randomUUID(),
            state: 'pending',
            createdAt: now,
            nextAttemptAt: now,
            attempts: 0,
          })),
      );
    if (messages.length === 0) return;
    await this.messages.insertMany(messages);
    this.transactions.afterCommit(() => this.wakers.forEach((wake) => wake()));
  }
}
