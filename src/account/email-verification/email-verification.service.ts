import { Injectable } from '@nestjs/common';
import type { Auth } from '../../sign-in/authenticated-request';
import { SessionsService } from '../../sign-in/sessions/sessions.service';
import { AppError } from '../../platform/http/app-error';
import { Transactions } from '../../platform/database/transactions';
import { AccountNotices } from '../../email/account-notices';
import { EmailLinks } from '../../email/email-links';
import { MailSlots } from '../../email/mail-slots';
import { OneTimeToken } from '../../email/one-time-token.schema';
import { invalidLinkError, OneTimeTokens } from '../../email/one-time-tokens';
import { Actor, userActor } from '../../audit/events/event.schema';
import { EventsService } from '../../audit/events/events.service';
import { LinkingService } from '../../sign-in/methods/identities/linking/linking.service';
import { normaliseEmail } from '../../users/identifiers';
import { User } from '../../users/schemas/user.schema';
import { UsersRepository } from '../../users/users.repository';

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
    private readonly slots: MailSlots,
    private readonly notices: AccountNotices,
    private readonly sessions: SessionsService,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly linking: LinkingService,
  ) {}

  /**
   * Sends the pending email change's link again, or else the email's verification link: at most
   * one such link a minute (429 TOO_MANY_REQUESTS), counting those sent at registration and by an
   * email change.
   */
  async resend({ user }: Auth): Promise<User> {
    if (user.pendingEmail === undefined && (user.email === undefined || user.emailVerified)) {
      throw new AppError(
        'NOTHING_TO_VERIFY',
        user.email === undefined
          ? 'Your account has no email address to confirm.'
          : 'Your email address is already confirmed.',
      );
    }
    await this.transactions.run(async () => {
      await this.slots.claimOrRefuse(user._id, 'confirmation', LINK_SENT_A_MOMENT_AGO);
      await (user.pendingEmail !== undefined
        ? this.links.sendEmailChange(user, user.pendingEmail)
        : this.links.sendVerification(user, user.email!));
    });
    return user;
  }

  /**
   * Starts an email change: the new address is pending until its link is used. Asking for the
   * current address again cancels a pending change. One change a minute sends its messages; a
   * second is refused (429 TOO_MANY_REQUESTS) and, since this runs inside the profile change's
   * transaction, so is the rest of the profile change.
   */
  async requestChange(user: User, email: string): Promise<User> {
    const address = normaliseEmail(email);
    if (address === user.email) return this.dropPendingChange(user);
    const holder = await this.users.findByLogin(address);
    // A verified address belongs to its account; an unverified one is taken only once proven.
    if (holder && !holder._id.equals(user._id) && holder.emailVerified) {
      throw new AppError('EMAIL_TAKEN', 'That email is already used by another account.', 'email');
    }
    await this.slots.claimOrRefuse(
      user._id,
      'emailChange',
      'An email change was asked for a moment ago. Please check your mail, or wait a minute before asking again.',
    );
    // The change's link counts as the minute's confirmation link (POST /me/email/verification).
    await this.slots.record(user._id, 'confirmation');
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
        user = await this.applyChange(record, actor);
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

  /**
   * Applies a confirmed email change, only while it is still pending: another account taking the
   * address voids it (409 EMAIL_TAKEN). An account that only claimed the address lets it go to
   * whoever proved control of it. Null when the change no longer applies (nothing is kept then).
   */
  private async applyChange(record: OneTimeToken, actor: Actor | undefined): Promise<User | null> {
    const before = await this.users.findById(record.userId);
    if (!before) return null;
    if (before.pendingEmail !== record.email) throw await this.deadChangeError(record);
    const released = await this.users.releaseUnverifiedEmail(record.email);
    if (released) {
      const details = { released: true };
      await this.events.record({ type: 'email.changed', userId: released._id, actor, details });
    }
    // Conditional on the change still pending: if it is not, the caller's transaction aborts.
    const user = await this.users.applyPendingEmail(record.userId, record.email);
    if (!user) return null;
    await this.events.record({ type: 'email.changed', userId: user._id, actor });
    // Links about the old address die with it.
    await this.tokens.void(user._id, [
      'cancel-email-change',
      'verify-email',
      'reset-password',
      'set-password',
    ]);
    await this.notices.emailChanged(before.email, before.emailVerified, record.email);
    return user;
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

  /**
   * Why an email change's link no longer applies: another account registered, verified or was
   * given the address since, which voided the change (409 EMAIL_TAKEN); or the change was
   * replaced or dropped (INVALID_TOKEN).
   */
  private async deadChangeError(record: OneTimeToken): Promise<AppError> {
    const holder = await this.users.findByLogin(record.email);
    if (holder && !holder._id.equals(record.userId)) {
      return new AppError(
        'EMAIL_TAKEN',
        'That email address now belongs to another account, so this change no longer applies.',
      );
    }
    return invalidLinkError();
  }
}

const LINK_SENT_A_MOMENT_AGO =
  'A link was sent a moment ago. Please check your mail, or wait a minute before asking again.';

function accountGone(): AppError {
  return new AppError('UNAUTHENTICATED', 'This account no longer exists.');
}
