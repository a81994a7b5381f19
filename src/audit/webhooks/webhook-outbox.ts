import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, Types } from 'mongoose';
import { Transactions } from '../../platform/database/transactions';
import { toUserView } from '../../users/user.view';
import { UsersRepository } from '../../users/users.repository';
import { WebhookMessage, WebhookType } from './webhook-message.schema';
import { WebhookRelay } from './webhook-relay';
import { WebhooksConfig, webhooksConfig } from './webhooks-config';

/** A change to tell the other backends of. */
export interface AccountChange {
  type: WebhookType;
  userId: Types.ObjectId;
  /** Unique to the change (the audit event's id): the webhook's `webhook-id` is made from it. */
  id: Types.ObjectId;
  at: Date;
}

/** The webhook a transaction already wrote for an account: its type, and its message at each URL. */
interface WrittenWebhook {
  type: WebhookType;
  ids: Types.ObjectId[];
}

/**
 * Tells WEBHOOK_URLS of a change the way that loses none: one webhook per URL is written to the
 * outbox inside the change's transaction (Transactions.run), so it exists exactly when the change
 * does, and the relay delivers it once that has committed. The request never waits for a receiver.
 */
@Injectable()
export class WebhookOutbox {
  private readonly urls: string[];

  constructor(
    @InjectModel(WebhookMessage.name) private readonly messages: Model<WebhookMessage>,
    private readonly users: UsersRepository,
    private readonly transactions: Transactions,
    private readonly relay: WebhookRelay,
    @Inject(webhooksConfig.KEY) config: WebhooksConfig,
  ) {
    this.urls = [...new Set(config.WEBHOOK_URLS)];
  }

  /**
   * Call inside the change's transaction, after the change: the account is read as it is now
   * (created or updated), or only its id is sent (deleted). One transaction sends one webhook per
   * account: a user.updated after that account's user.created or user.updated in the same
   * transaction (a password reset that proves the address and unlinks a provider) brings that
   * webhook's account up to date instead.
   */
  async enqueue(change: AccountChange): Promise<void> {
    if (this.urls.length === 0) return;
    const data = await this.dataOf(change);
    if (data === undefined) return;
    const notes = this.transactions.attemptNotes();
    const account = `webhook of ${change.userId.toHexString()}`;
    const earlier = notes?.get(account) as WrittenWebhook | undefined;
    if (change.type === 'user.updated' && earlier && earlier.type !== 'user.deleted') {
      const body = this.body(earlier.type, change.at, data);
      const ids = mongoose.trusted({ $in: earlier.ids });
      await this.messages.updateMany({ _id: ids }, { $set: { body } }).exec();
      return;
    }
    const body = this.body(change.type, change.at, data);
    const now = new Date();
    const written = await this.messages.insertMany(
      this.urls.map((url) => ({
        url,
        webhookId: `msg_${change.id.toHexString()}`,
        type: change.type,
        body,
        state: 'pending',
        createdAt: now,
        nextAttemptAt: now,
        attempts: 0,
      })),
    );
    notes?.set(account, { type: change.type, ids: written.map(({ _id }) => _id) });
    this.transactions.afterCommit(() => this.relay.wake());
  }

  private body(type: WebhookType, at: Date, data: object): string {
    return JSON.stringify({ type, timestamp: at.toISOString(), data });
  }

  /** The account's public view (never a secret), or `{id}` for a deletion. */
  private async dataOf({ type, userId }: AccountChange): Promise<object | undefined> {
    if (type === 'user.deleted') return { id: userId.toHexString() };
    const user = await this.users.findById(userId);
    return user ? toUserView(user) : undefined;
  }
}
