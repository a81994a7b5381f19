import { Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { AccountService } from '../account/account.service';
import { SessionsService } from '../sign-in/sessions/sessions.service';
import { AppError } from '../platform/http/app-error';
import { Transactions } from '../platform/database/transactions';
import { AccountNotices } from '../email/account-notices';
import { EmailLinks } from '../email/email-links';
import { MailSlots } from '../email/mail-slots';
import { EventsService } from '../audit/events/events.service';
import { LinkingService } from '../sign-in/methods/identities/linking/linking.service';
import { TwoStepService } from '../sign-in/two-step/two-step.service';
import { ProfileFields } from '../users/profile-fields/profile-fields.service';
import { LastAdminRule } from '../users/last-admin.rule';
import { profileDataOf } from '../users/profile-data';
import { Role, User } from '../users/schemas/user.schema';
import { UsersRepository } from '../users/users.repository';
import { AdminCaller, assertMayChange, FULL_ADMIN } from './admin-caller';

/** An account's id as the API or the CLI gives it. */
export type UserId = string | Types.ObjectId;

export interface UserSearch {
  /** The start of an email, username, name or word of a name, or a provider subject; empty or absent: everyone. */
  query?: string;
  /** From 1. */
  page: number;
  limit: number;
}

export interface UserSearchResult {
  users: User[];
  total: number;
  page: number;
  limit: number;
}

/** What an admin may change; `data` is checked against PROFILE_FIELDS and merges. */
export interface AdminUserChanges {
  name?: string | null;
  username?: string;
  email?: string;
  emailVerified?: boolean;
  role?: Role;
  disabled?: boolean;
  data?: Record<string, unknown>;
}

/**
 * What admins do to accounts, for the admin API and the CLI alike: plain values in, accounts
 * out. Each change is recorded as an event in its own transaction, whose actor is whoever the
 * request (or the CLI's RequestContext.runAs) says is acting.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly account: AccountService,
    private readonly linking: LinkingService,
    private readonly twoStep: TwoStepService,
    private readonly links: EmailLinks,
    private readonly notices: AccountNotices,
    private readonly slots: MailSlots,
    private readonly profileFields: ProfileFields,
    private readonly lastAdmin: LastAdminRule,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
  ) {}

  /** Newest first, with how many match in all. */
  async search({ query, page, limit }: UserSearch): Promise<UserSearchResult> {
    const text = query?.trim() || undefined;
    const found = await this.users.search(text, (page - 1) * limit, limit);
    return { ...found, page, limit };
  }

  /** The account and how many live sessions it has; NOT_FOUND for an unknown or malformed id. */
  async get(id: UserId): Promise<{ user: User; sessionCount: number }> {
    const user = await this.find(id);
    return { user, sessionCount: await this.sessions.countLive(user._id) };
  }

  /**
   * Changes the account in one update: unknown or invalid values are refused before anything is
   * written. Demoting or disabling the last enabled admin is refused (LAST_ADMIN); disabling ends
   * every session and revokes what the account's apps hold. A new email tells the old address, if
   * it was verified, as the owner's own change does.
   */
  async update(
    id: UserId,
    changes: AdminUserChanges,
    caller: AdminCaller = FULL_ADMIN,
  ): Promise<User> {
    const userId = parseId(id);
    const data =
      changes.data === undefined ? undefined : this.profileFields.forUpdate(changes.data);
    const takesAdminAway = changes.role === 'user' || changes.disabled === true;
    return this.transactions.run(async () => {
      const before = await this.users.findById(userId);
      if (!before) throw notFound();
      assertMayChange(caller, before, changes);
      if (changes.emailVerified === true && (changes.email ?? before.email) === undefined) {
        throw new AppError(
          'VALIDATION_FAILED',
          'The account has no email to count as verified.',
          'emailVerified',
        );
      }
      const apply = () => this.users.updateByAdmin(userId, { ...changes, data });
      const updated = takesAdminAway ? await this.lastAdmin.guard(before, apply) : await apply();
      if (!updated) throw notFound();
      if (changes.disabled === true) await this.sessions.endAll(userId);
      if (updated.email !== undefined) {
        await this.notices.emailChanged(before.email, before.emailVerified, updated.email);
      }
      await this.recordUpdate(before, updated, changes);
      return updated;
    });
  }

  disable(id: UserId): Promise<User> {
    return this.update(id, { disabled: true });
  }

  enable(id: UserId): Promise<User> {
    return this.update(id, { disabled: false });
  }

  /** Deletes the account as its owner would (sessions, apps' tokens, a notice); not the last admin. */
  async delete(id: UserId, caller: AdminCaller = FULL_ADMIN): Promise<void> {
    const userId = parseId(id);
    await this.transactions.run(async () => {
      // Vetted as read in the transaction that deletes: a promotion meanwhile conflicts with it.
      const vet = (target: User) => assertMayChange(caller, target);
      if (!(await this.account.deleteUser(userId, vet))) throw notFound();
      await this.events.record({ type: 'user.deleted', userId });
    });
  }

  /** Disconnects a provider under the never-lock-out rule (LAST_LOGIN_METHOD, NOT_LINKED). */
  async unlinkIdentity(
    id: UserId,
    provider: string,
    caller: AdminCaller = FULL_ADMIN,
  ): Promise<void> {
    const user = await this.find(id);
    assertMayChange(caller, user);
    // LinkingService records identity.unlinked, with the admin as the actor.
    await this.linking.unlinkForAdmin(user, provider);
  }

  /**
   * Turns the account's two-step sign-in off (its owner lost the app and the recovery codes);
   * audited, and the owner is told. TWO_STEP_NOT_ENABLED when it is not on.
   */
  async turnOffTwoStep(id: UserId, caller: AdminCaller = FULL_ADMIN): Promise<void> {
    const user = await this.find(id);
    assertMayChange(caller, user);
    await this.twoStep.turnOff(user, { byAdmin: true });
  }

  /** Ends every session of the account and revokes what its apps hold. */
  async revokeSessions(id: UserId, caller: AdminCaller = FULL_ADMIN): Promise<void> {
    const user = await this.find(id);
    assertMayChange(caller, user);
    await this.transactions.run(async () => {
      await this.sessions.endAll(user._id);
      await this.events.record({
        type: 'session.revoked',
        userId: user._id,
        details: { sessions: 'all' },
      });
    });
  }

  /** Mails the account's address a recovery link (as POST /auth/password/forgot would); NO_EMAIL without one. */
  async sendPasswordReset(
    id: UserId,
    caller: AdminCaller = FULL_ADMIN,
  ): Promise<{ sentTo: string }> {
    const user = await this.find(id);
    assertMayChange(caller, user);
    const email = user.email;
    if (email === undefined) {
      throw new AppError('NO_EMAIL', 'The account has no email address to send a link to.');
    }
    await this.transactions.run(async () => {
      await this.links.sendRecovery(user, email);
      // Not limited itself, but POST /auth/password/forgot then waits its minute.
      await this.slots.record(user._id, 'recovery');
      await this.events.record({ type: 'password.reset_requested', userId: user._id });
    });
    return { sentTo: email };
  }

  private async find(id: UserId): Promise<User> {
    const user = await this.users.findById(parseId(id));
    if (!user) throw notFound();
    return user;
  }

  /**
   * user.disabled / user.enabled when that changed, and user.updated naming the other fields that
   * changed (with the new role, which is no secret); a change that changed nothing is recorded
   * too, with no fields. Other backends hear of the change once (WebhookOutbox: one webhook per
   * account and transaction), and not at all when nothing changed.
   */
  private async recordUpdate(before: User, after: User, changes: AdminUserChanges): Promise<void> {
    const wasDisabled = before.disabled === true;
    const isDisabled = after.disabled === true;
    if (wasDisabled !== isDisabled) {
      await this.events.record({
        type: isDisabled ? 'user.disabled' : 'user.enabled',
        userId: after._id,
      });
    }
    const fields = changedFields(before, after, changes);
    if (fields.length > 0 || wasDisabled === isDisabled) {
      await this.events.record(
        {
          type: 'user.updated',
          userId: after._id,
          details: { fields, ...(fields.includes('role') && { role: after.role }) },
        },
        { webhook: fields.length > 0 },
      );
    }
  }
}

/** The fields a change actually changed, `data.<key>` for profile values. */
function changedFields(before: User, after: User, changes: AdminUserChanges): string[] {
  const fields: string[] = (
    ['name', 'username', 'email', 'emailVerified', 'pendingEmail', 'role'] as const
  ).filter((field) => before[field] !== after[field]);
  const [was, now] = [profileDataOf(before), profileDataOf(after)];
  for (const key of Object.keys(changes.data ?? {})) {
    if (was[key] !== now[key]) fields.push(`data.${key}`);
  }
  return fields;
}

const OBJECT_ID = /^[0-9a-f]{24}$/i;

/** A malformed id names no account: NOT_FOUND, as for an unknown one. */
function parseId(id: UserId): Types.ObjectId {
  if (id instanceof Types.ObjectId) return id;
  if (typeof id !== 'string' || !OBJECT_ID.test(id)) throw notFound();
  return new Types.ObjectId(id);
}

function notFound(): AppError {
  return new AppError('NOT_FOUND', 'There is no account with that id.');
}
