import { Injectable } from '@nestjs/common';
import { AccountService } from '../account/account.service';
import { SessionsService } from '../auth/sessions.service';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { EmailLinks } from '../email/email-links';
import { EventsService } from '../events/events.service';
import { usernameBaseFromEmail } from '../users/identifiers';
import { User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { CommandFailure } from './cli-io';

export interface AdminSetup {
  user: User;
  created: boolean;
  promoted: boolean;
  /** A one-time set-password link for the operator to hand over. */
  link: string;
  /** How long the link works. */
  linkMinutes: number;
}

/** Most accounts `users find` shows. */
export const FIND_LIMIT = 50;

/**
 * What the operator's commands do to accounts. Each change is one transaction with its event; the
 * actor (the CLI) comes from the command's context.
 */
@Injectable()
export class CliUsers {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly account: AccountService,
    private readonly links: EmailLinks,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Creates an admin account with this email (a username made from it, no password, the email
   * unverified), or makes the account that has it an admin; either way, a fresh set-password link.
   * An account whose email is unverified is not promoted: whoever registered it may not own the
   * address, and would become an admin with their own password.
   */
  async createAdmin(email: string): Promise<AdminSetup> {
    return this.transactions.run(async () => {
      let user = await this.users.findByLogin(email);
      const created = user === null;
      if (user === null) {
        user = await this.users.create({ email, usernameBase: usernameBaseFromEmail(email) });
        await this.events.record({
          type: 'user.created',
          userId: user._id,
          details: { via: 'cli' },
        });
      }
      const promoted = user.role !== 'admin';
      if (promoted) {
        if (!created && !user.emailVerified) {
          throw new CommandFailure(
            `The account ${user.username} has not verified ${user.email}, so it may not be its owner's: have them verify it (or delete that account), then try again.`,
          );
        }
        user = await this.users.setRole(user._id, 'admin');
        if (!user) throw new CommandFailure(`The account with ${email} was just deleted.`);
        await this.events.record({
          type: 'user.updated',
          userId: user._id,
          details: { fields: ['role'], role: 'admin' },
        });
      }
      const link = await this.links.setPasswordLink(user, user.email!);
      await this.events.record({
        type: 'password.reset_requested',
        userId: user._id,
        details: { via: 'cli' },
      });
      const linkMinutes = Math.round(this.config.PASSWORD_RESET_TTL_SECONDS / 60);
      return { user, created, promoted, link, linkMinutes };
    });
  }

  /** The account with that id, or those whose email or username starts with `query`. */
  find(query: string): Promise<User[]> {
    return this.users.search(query, FIND_LIMIT);
  }

  /**
   * Disables the account and ends its sessions (and what its apps hold). Returns the account, and
   * whether it was enabled until now.
   */
  async disable(ref: string): Promise<{ user: User; changed: boolean }> {
    const user = await this.resolve(ref);
    return this.transactions.run(async () => {
      const changed = await this.users.setDisabled(user._id, true);
      // Also when it was disabled already: a session that slipped in meanwhile ends too.
      await this.sessions.endAll(user._id);
      if (changed) await this.events.record({ type: 'user.disabled', userId: user._id });
      return { user, changed };
    });
  }

  async enable(ref: string): Promise<{ user: User; changed: boolean }> {
    const user = await this.resolve(ref);
    return this.transactions.run(async () => {
      const changed = await this.users.setDisabled(user._id, false);
      if (changed) await this.events.record({ type: 'user.enabled', userId: user._id });
      return { user, changed };
    });
  }

  /** Deletes the account as its owner would (sessions, app grants, a notice to a verified address). */
  async delete(ref: string): Promise<User> {
    const user = await this.resolve(ref);
    await this.transactions.run(async () => {
      await this.account.remove(user);
      await this.events.record({ type: 'user.deleted', userId: user._id });
    });
    return user;
  }

  /** The account an operator names: by id, email or username. */
  private async resolve(ref: string): Promise<User> {
    const user = /^[0-9a-f]{24}$/i.test(ref)
      ? await this.users.findById(ref)
      : await this.users.findByLogin(ref);
    if (!user) throw new CommandFailure(`No account has the id, email or username ${ref}.`);
    return user;
  }
}
