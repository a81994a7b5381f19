import { Inject, Injectable } from '@nestjs/common';
import { AdminUsersService } from '../admin/admin-users.service';
import { Transactions } from '../platform/database/transactions';
import { EmailConfig, emailConfig } from '../email/email-config';
import { EmailLinks } from '../email/email-links';
import { EventsService } from '../audit/events/events.service';
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

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** Most accounts `users find` shows. */
export const FIND_LIMIT = 50;

/**
 * What the operator's commands do to accounts: what admins do (AdminUsersService, with its rules
 * and events), for accounts named by id, email or username; and the first admin. The actor of the
 * events (the CLI) comes from the command's context.
 */
@Injectable()
export class CliUsers {
  constructor(
    private readonly users: UsersRepository,
    private readonly admin: AdminUsersService,
    private readonly links: EmailLinks,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    @Inject(emailConfig.KEY) private readonly email: EmailConfig,
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
          details: { method: 'cli' },
        });
      }
      const promoted = user.role !== 'admin';
      if (promoted) {
        if (!created && !user.emailVerified) {
          throw new CommandFailure(
            `The account ${user.username} has not verified ${user.email}, so it may not be its owner's: have them verify it (or delete that account), then try again.`,
          );
        }
        user = await this.admin.update(user._id, { role: 'admin' });
      }
      const link = await this.links.setPasswordLink(user, user.email!);
      await this.events.record({
        type: 'password.reset_requested',
        userId: user._id,
        details: { link: 'set-password' },
      });
      const linkMinutes = Math.round(this.email.PASSWORD_RESET_TTL_SECONDS / 60);
      return { user, created, promoted, link, linkMinutes };
    });
  }

  /** The account with that id, or those GET /admin/users?query= finds, newest first. */
  async find(query: string): Promise<User[]> {
    if (OBJECT_ID.test(query)) {
      const user = await this.users.findById(query);
      return user ? [user] : [];
    }
    return (await this.admin.search({ query, page: 1, limit: FIND_LIMIT })).users;
  }

  /** Disables the account (its sessions end); returns it, and whether it was enabled until now. */
  async disable(ref: string): Promise<{ user: User; changed: boolean }> {
    const before = await this.resolve(ref);
    const user = await this.admin.disable(before._id);
    return { user, changed: before.disabled !== true };
  }

  async enable(ref: string): Promise<{ user: User; changed: boolean }> {
    const before = await this.resolve(ref);
    const user = await this.admin.enable(before._id);
    return { user, changed: before.disabled === true };
  }

  /** Deletes the account as its owner would (sessions, app grants, a notice to a verified address). */
  async delete(ref: string): Promise<User> {
    const user = await this.resolve(ref);
    await this.admin.delete(user._id);
    return user;
  }

  /** The account an operator names: by id, email or username. */
  private async resolve(ref: string): Promise<User> {
    const user = OBJECT_ID.test(ref)
      ? await this.users.findById(ref)
      : await this.users.findByLogin(ref);
    if (!user) throw new CommandFailure(`No account has the id, email or username ${ref}.`);
    return user;
  }
}
