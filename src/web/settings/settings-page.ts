import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Auth } from '../../sign-in/authenticated-request';
import { toSessionView } from '../../sign-in/sessions/session.view';
import { SessionsService } from '../../sign-in/sessions/sessions.service';
import { AppError } from '../../platform/http/app-error';
import { toEventView } from '../../audit/events/event.view';
import { EventsService } from '../../audit/events/events.service';
import { LinkingService } from '../../sign-in/methods/identities/linking/linking.service';
import { SignInMethods } from '../../sign-in/methods/sign-in-methods';
import { ProfileFields } from '../../users/profile-fields/profile-fields.service';
import { profileDataOf } from '../../users/profile-data';
import type { User } from '../../users/schemas/user.schema';
import { toUserView } from '../../users/user.view';
import { eventRows } from '../event-rows';
import { passkeyRows } from '../passkey-rows';
import type { FieldErrors } from '../forms';
import { PagesService } from '../pages.service';
import { profileFormValues, profileInputs } from '../profile-form';
import { sessionRows } from '../session-rows';
import { AppsWithAccess } from '../../openid/apps/apps-with-access';
import { appRows } from '../app-rows';

/** What went wrong with a settings form, shown on the settings page. */
export interface SettingsProblems {
  status: number;
  /** Which form the problem is about, so it shows in the right place. */
  form?: 'profile' | 'password' | 'connections' | 'passkeys' | 'twoStep' | 'sessions' | 'apps';
  /** The passkey whose rename form the problem is about. */
  passkey?: string;
  error?: string;
  errors?: FieldErrors;
  typed?: Record<string, string>;
}

/** Fewer recovery codes than this left, and the settings suggest making new ones. */
const FEW_RECOVERY_CODES = 3;

/** Two-step sign-in as the settings show it: on (and its recovery codes), off, or being set up. */
function twoStepState({ twoStep }: User) {
  const enabled = twoStep?.enabled === true;
  const recoveryCodesLeft = enabled ? twoStep.recoveryCodes.length : 0;
  return {
    enabled,
    pending: twoStep !== undefined && !enabled,
    recoveryCodesLeft,
    fewLeft: enabled && recoveryCodesLeft <= FEW_RECOVERY_CODES,
  };
}

/** How many of the account's latest events the settings page lists (GET /me/events has them all). */
const RECENT_EVENTS = 10;

/**
 * The settings page, with every form on it (profile, password, connections, passkeys, two-step
 * sign-in, sessions, apps with access) and the
 * account's latest activity; the settings controllers show it again with a form's problems.
 */
@Injectable()
export class SettingsPage {
  /** The never-lock-out rule, to say which passkeys may go (the passkeys service enforces it). */
  private readonly methods: SignInMethods;

  constructor(
    private readonly pages: PagesService,
    private readonly linking: LinkingService,
    private readonly sessions: SessionsService,
    private readonly events: EventsService,
    private readonly profileFields: ProfileFields,
    private readonly apps: AppsWithAccess,
  ) {
    this.methods = new SignInMethods(pages.providers.map(({ key }) => key));
  }

  /** Runs a change; a refusal the person can act on shows on the settings page with its status. */
  async attempt(
    request: Request,
    response: Response,
    auth: Auth,
    failed: SettingsProblems,
    change: () => Promise<void>,
  ): Promise<void> {
    try {
      await change();
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      const errors = { ...failed.errors };
      if (error.field) errors[error.field] = error.message;
      await this.show(request, response, auth, {
        ...failed,
        status: error.status,
        errors,
        error: error.field ? undefined : error.message,
      });
    }
  }

  async show(
    request: Request,
    response: Response,
    auth: Auth,
    problems: SettingsProblems,
  ): Promise<void> {
    const { connections, password } = this.linking.connections(auth.user);
    const sessions = sessionRows(
      (await this.sessions.list(auth.user._id)).map((each) =>
        toSessionView(each, auth.session._id),
      ),
      this.pages.providers,
    );
    const events = await this.events.list({ userId: auth.user._id, limit: RECENT_EVENTS });
    const activity = eventRows(
      events.map((event) => toEventView(event, auth.user._id)),
      { providers: this.pages.providers, profileFields: this.profileFields.definitions },
    );
    return this.pages.render(
      request,
      response,
      'settings',
      {
        title: 'Settings',
        user: toUserView(auth.user),
        connections,
        password,
        passkeys: passkeyRows(auth.user, this.methods),
        twoStep: twoStepState(auth.user),
        sessions,
        otherSessions: sessions.some(({ current }) => !current),
        apps: appRows(await this.apps.list(auth.user._id)),
        activity,
        problems,
        values: { ...toUserView(auth.user), ...problems.typed },
        profileFields: profileInputs(
          this.profileFields.definitions,
          { ...profileFormValues(profileDataOf(auth.user)), ...problems.typed },
          problems.errors ?? {},
          'required',
        ),
      },
      problems.status,
    );
  }
}
