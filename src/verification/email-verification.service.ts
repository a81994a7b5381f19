import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import type { Auth } from '../auth/authenticated-request';
import { SessionsService } from '../auth/sessions.service';
import { AppError } from '../common/app-error';
import { Transactions } from '../database/transactions';
import { AccountNotices } from '../email/account-notices';
import { EmailLinks } from '../email/email-links';
import { invalidLinkError, OneTimeTokens } from '../email/one-time-tokens';
import { Actor, userActor } from '../events/event.schema';
import { EventsService } from '../events/events.service';
import { LinkingService } from '../linking/linking.service';
import { normaliseEmail } from '../users/identifiers';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';

/** How often a person may ask for a link again. */
const RESEND_INTERVAL_MS = 60_000;

export interface Verified {
  user: User;
  /** The link was used outside the account's own sessions, which have all ended. */
  signedOut: boolean;
}

/**
 * Proving control of an address: the link sent at registration, the one that applies an email
 * change, and the one that cancels it. An address counts only once proven; whoever proves it
 * outside the account's own sessions may not be who signed up, so the account's sessions end and
 * the providers linked before the proof are unlinked.
 */
@Injectable()
export class EmailVerification {
  constructor(
    private readonly users: UsersRepository,
    private readonly tokens: OneTimeTokens,
    private readonly links: EmailLinks,
    private readonly notices: AccountNotices,
    private readonly sessions: SessionsService,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly linking: LinkingService,
  ) {}

  /** Sends the pending email change's link again, or else the email's verification link. */
  async resend({ user }: Auth): Promise<User> {
    if (user.pendingEmail === undefined && (user.email === undefined || user.emailVerified)) {
      throw new AppError(
        'NOTHING_TO_VERIFY',
        user.email === undefined
          ? 'Your account has no email address to confirm.'
          : 'Your email address is already confirmed.',
      );
    }
    await this.throttle(user._id);
    await this.transactions.run(() =>
      user.pendingEmail !== undefined
        ? this.links.sendEmailChange(user, user.pendingEmail)
        : this.links.sendVerification(user, user.email!),
    );
    return user;
  }

  /**
   * Starts an email change: the new address is pending until its link is used. Asking for the
   * current address again cancels a pending change. Call inside the profile change's transaction.
   */
  async requestChange(user: User, email: string): Promise<User> {
    const address = normaliseEmail(email);
    if (address === user.email) return this.dropPendingChange(user);
    const holder = await this.users.findByLogin(address);
    // A verified address belongs to its account; an unverified one is taken only once proven.
    if (holder && !holder._id.equals(user._id) && holder.emailVerified) {
      throw new AppError('EMAIL_TAKEN', 'That email is already used by another account.', 'email');
    }
    const updated = await this.users.setPendingEmail(user._id, address);
    if (!updated) throw accountGone();
    await this.links.sendEmailChange(updated, address);
    return updated;
  }

  /** What a verification or email-change link would confirm, without using it; null if dead. */
  async describeLink(token: unknown): Promise<{ email: string; change: boolean } | null> {
    const record = await this.tokens.find(['verify-email', 'change-email'], token);
    const user = record && (await this.users.findById(record.userId));
    if (!record || !user) return null;
    const change = record.purpose === 'change-email';
    // A link about an address the account no longer has (or no longer wants) proves nothing now.
    const current = change ? user.pendingEmail : user.email;
    return current === record.email ? { email: record.email, change } : null;
  }

  /** The email change a cancellation link would cancel, without using it; null if dead. */
  async describeCancellation(token: unknown): Promise<{ email: string } | null> {
    const record = await this.tokens.find(['cancel-email-change'], token);
    return record && { email: record.email };
  }

  /** Drops the account's pending email change (from its settings). */
  async cancelPendingChange(user: User): Promise<User> {
    return this.transactions.run(() => this.dropPendingChange(user));
  }

  /** Uses a verification or email-change link. `current`: whoever is signed in in this browser. */
  async verify(token: unknown, current: Auth | null): Promise<Verified> {
    return this.transactions.run(async () => {
      const record = await this.tokens.consume(['verify-email', 'change-email'], token);
      if (!record) throw invalidLinkError();
      // The link's owner when used in their own session; otherwise whoever holds it.
      const actor: Actor | undefined =
        current && current.user._id.equals(record.userId) ? userActor(record.userId) : undefined;
      let user: User | null;
      if (record.purpose === 'verify-email') {
        user = await this.users.markEmailVerified(record.userId, record.email);
        if (user) await this.events.record({ type: 'email.verified', userId: user._id, actor });
      } else {
        const before = await this.users.findById(record.userId);
        // Someone proved control of the address: an account that only claimed it lets go.
        const released = await this.users.releaseUnverifiedEmail(record.email);
        if (released) {
          const details = { released: true };
          await this.events.record({ type: 'email.changed', userId: released._id, actor, details });
        }
        user = await this.users.applyPendingEmail(record.userId, record.email);
        if (user) await this.events.record({ type: 'email.changed', userId: user._id, actor });
        if (before && user) {
          // Links about the old address die with it.
          await this.tokens.void(user._id, [
            'cancel-email-change',
            'verify-email',
            'reset-password',
            'set-password',
          ]);
          await this.notices.emailChanged(before.email, before.emailVerified, record.email);
        }
      }
      // The address changed since the link was sent: it proves nothing about the account now.
      if (!user) throw invalidLinkError();
      const byOwner = current !== null && current.user._id.equals(user._id);
      if (byOwner) {
        await this.users.confirmIdentitiesLinkedBeforeVerification(user._id);
      } else {
        await this.linking.unlinkLinkedBeforeVerification(user._id);
        await this.sessions.endAll(user._id);
      }
      return { user: (await this.users.findById(user._id)) ?? user, signedOut: !byOwner };
    });
  }

  /** The old address's "not me" link: the pending change is dropped, its link stops working. */
  async cancelChange(token: unknown): Promise<void> {
    await this.transactions.run(async () => {
      const record = await this.tokens.consume(['cancel-email-change'], token);
      if (!record) throw invalidLinkError();
      const user = await this.users.findById(record.userId);
      if (user?.pendingEmail === record.email) await this.dropPendingChange(user);
    });
  }

  private async dropPendingChange(user: User): Promise<User> {
    if (user.pendingEmail === undefined) return user;
    await this.tokens.void(user._id, ['change-email', 'cancel-email-change']);
    return (await this.users.setPendingEmail(user._id, undefined)) ?? user;
  }

  /** At most one link a minute per account, whichever instance is asked. */
  private async throttle(userId: Types.ObjectId): Promise<void> {
    const since = new Date(Date.now() - RESEND_INTERVAL_MS);
    const last = await this.tokens.lastIssuedSince(userId, ['verify-email', 'change-email'], since);
    if (last) {
      const wait = Math.ceil((last.getTime() + RESEND_INTERVAL_MS - Date.now()) / 1000);
      throw new AppError(
        'TOO_MANY_REQUESTS',
        'A link was sent a moment ago. Please check your mail, or wait a minute before asking again.',
        undefined,
        Math.max(wait, 1),
      );
    }
  }
}

function accountGone(): AppError {
  return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
}
