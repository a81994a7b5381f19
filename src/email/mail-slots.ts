import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { AppError } from '../platform/http/app-error';
import { MailSlot, UsersRepository } from '../users/users.repository';

/** How often one account may be mailed each kind of link that a request can ask for again. */
export const MAIL_SLOT_INTERVAL_MS = 60_000;

/**
 * The once-a-minute limits on the links a request can ask for (recovery, confirmation, email
 * change), so that asking again and again does not flood an owner's mailbox. Each is a slot on
 * the account, claimed in one conditional update: of many requests at once, one gets it. Claim it
 * inside the transaction that sends the mail, so a failure leaves the slot free.
 */
@Injectable()
export class MailSlots {
  constructor(private readonly users: UsersRepository) {}

  /** Whether the account may be mailed this kind of link now; if so, its minute starts. */
  async claim(userId: Types.ObjectId, slot: MailSlot): Promise<boolean> {
    return (await this.claimAt(userId, slot, Date.now())).claimed;
  }

  /** As claim, but refuses with 429 TOO_MANY_REQUESTS and when to try again (Retry-After). */
  async claimOrRefuse(userId: Types.ObjectId, slot: MailSlot, message: string): Promise<void> {
    const now = Date.now();
    const claim = await this.claimAt(userId, slot, now);
    if (claim.claimed) return;
    const freeAt = (claim.lastSentAt?.getTime() ?? now) + MAIL_SLOT_INTERVAL_MS;
    const wait = Math.ceil((freeAt - now) / 1000);
    throw new AppError('TOO_MANY_REQUESTS', message, undefined, Math.min(Math.max(wait, 1), 60));
  }

  /** A link mailed without asking (at registration, say) starts the minute all the same. */
  async record(userId: Types.ObjectId, slot: MailSlot): Promise<void> {
    await this.users.recordMailSent(userId, slot, new Date());
  }

  private claimAt(userId: Types.ObjectId, slot: MailSlot, now: number) {
    const since = new Date(now - MAIL_SLOT_INTERVAL_MS);
    return this.users.claimMailSlot(userId, slot, since, new Date(now));
  }
}
