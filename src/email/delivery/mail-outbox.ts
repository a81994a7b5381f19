import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Transactions } from '../../platform/database/transactions';
import { MailKind, MailKinds, MailTemplates } from './mail-templates';
import { MailRelay } from './mail-relay';
import { OutboxMessage } from './outbox-message.schema';

/**
 * Sends mail the way that loses none: the message is written to the outbox inside the caller's
 * transaction (Transactions.run), so it exists exactly when the change that causes it does; the
 * relay delivers it once that has committed.
 */
@Injectable()
export class MailOutbox {
  constructor(
    @InjectModel(OutboxMessage.name) private readonly messages: Model<OutboxMessage>,
    private readonly templates: MailTemplates,
    private readonly transactions: Transactions,
    private readonly relay: MailRelay,
  ) {}

  async send<K extends MailKind>(to: string, kind: K, data: MailKinds[K]): Promise<void> {
    const now = new Date();
    await this.messages.create({
      to,
      kind,
      ...this.templates.render(kind, data),
      state: 'pending',
      createdAt: now,
      nextAttemptAt: now,
      attempts: 0,
    });
    this.transactions.afterCommit(() => this.relay.wake());
  }
}
