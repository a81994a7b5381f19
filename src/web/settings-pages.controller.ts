import { Controller, Get, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService, changesSignInName } from '../account/account.service';
import { UpdateProfileDto } from '../account/dto/update-profile.dto';
import { Auth, AuthenticatedRequest, CurrentAuth } from '../auth/authenticated-request';
import { AuthService } from '../auth/auth.service';
import { BrowserSessions } from '../auth/browser-sessions';
import { RequireRecentSignIn } from '../auth/recent-sign-in.guard';
import { toSessionView } from '../auth/session.view';
import { SessionsService } from '../auth/sessions.service';
import { AppError } from '../common/app-error';
import { SignInThrottle } from '../common/sign-in-throttle';
import { EventsService } from '../events/events.service';
import { toEventView } from '../events/event.view';
import { ProfileFields } from '../profile-fields/profile-fields.service';
import { LinkingService } from '../linking/linking.service';
import { FlowCookie } from '../social/flow-cookie';
import { SocialAuthService } from '../social/social-auth.service';
import { profileDataOf } from '../users/profile-data';
import { toUserView } from '../users/user.view';
import { FieldErrors, formField, readForm } from './forms';
import { errorText } from './messages';
import { EmailVerification } from '../verification/email-verification.service';
import { PagesService } from './pages.service';
import { profileFormValues, profileInputs, readProfileForm } from './profile-form';
import { eventRows } from './event-rows';
import { sessionRows } from './session-rows';
import { SettingsPageFilter } from './settings-page.filter';

interface SettingsProblems {
  status: number;
  /** Which form the problem is about, so it shows in the right place. */
  form?: 'profile' | 'password' | 'connections' | 'sessions';
  error?: string;
  errors?: FieldErrors;
  typed?: Record<string, string>;
}

/** How many of the account's latest events the settings page lists (GET /me/events has them all). */
const RECENT_EVENTS = 10;

/** A profile form changes the email or username only when it sends a different one. */
const profileChangesSignIn = ({ auth, body }: AuthenticatedRequest) =>
  changesSignInName(auth.user, (body ?? {}) as Record<string, unknown>);

/**
 * The settings page and its forms: profile, password, connections, sessions, account deletion.
 * The same guards as the API apply (a session; a recent sign-in for changes to how the account is
 * entered); SettingsPageFilter turns their refusals into the sign-in page or a "confirm it's you"
 * step.
 */
@ApiExcludeController()
@UseFilters(SettingsPageFilter)
@Controller('settings')
export class SettingsPagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly account: AccountService,
    private readonly auth: AuthService,
    private readonly linking: LinkingService,
    private readonly social: SocialAuthService,
    private readonly browserSessions: BrowserSessions,
    private readonly sessions: SessionsService,
    private readonly flowCookie: FlowCookie,
    private readonly verification: EmailVerification,
    private readonly profileFields: ProfileFields,
    private readonly events: EventsService,
  ) {}

  @Get()
  settings(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.show(request, response, auth, {
      status: 200,
      error: errorText(request.query.error),
    });
  }

  @Post('profile')
  @SignInThrottle()
  @RequireRecentSignIn(profileChangesSignIn)
  async saveProfile(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    // Empty username or email fields leave them as they are; an emptied name or profile field
    // clears it.
    const form = await readForm(UpdateProfileDto, request.body, {
      required: [],
      optional: ['name', 'username', 'email'],
    });
    const profile = readProfileForm(this.profileFields.definitions, request.body, 'update');
    const failed = {
      status: 400,
      form: 'profile' as const,
      errors: { ...form.errors, ...profile.errors },
      typed: { ...form.typed, ...profile.typed },
    };
    if (Object.keys(failed.errors).length > 0) return this.show(request, response, auth, failed);
    const name = formField(request.body, 'name').trim() === '' ? null : form.value.name;
    await this.attempt(request, response, auth, failed, async () => {
      const update = await this.account.updateProfile(auth.user, {
        ...form.value,
        name,
        data: profile.changes,
      });
      const notice = update.emailChangePending ? 'email-change-pending' : 'profile-saved';
      this.pages.redirect(response, '/settings', notice);
    });
  }

  @Post('email/verification')
  @SignInThrottle()
  async resendVerification(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    const failed = { status: 400, form: 'profile' as const, errors: {}, typed: {} };
    await this.attempt(request, response, auth, failed, async () => {
      await this.verification.resend(auth);
      this.pages.redirect(response, '/settings', 'verification-sent');
    });
  }

  @Post('email/cancel')
  async cancelEmailChange(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    await this.verification.cancelPendingChange(auth.user);
    this.pages.redirect(response, '/settings', 'email-change-cancelled');
  }

  @Post('password')
  @SignInThrottle()
  @RequireRecentSignIn()
  async savePassword(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    const hadPassword = typeof auth.user.passwordHash === 'string';
    const currentPassword = formField(request.body, 'currentPassword');
    const newPassword = formField(request.body, 'newPassword');
    const errors: FieldErrors = {};
    if (hadPassword && !currentPassword) errors.currentPassword = 'Please fill in this field.';
    if (!newPassword) errors.newPassword = 'Please fill in this field.';
    else if (formField(request.body, 'newPasswordConfirm') !== newPassword) {
      errors.newPasswordConfirm = 'The two passwords are not the same.';
    }
    const failed = { status: 400, form: 'password' as const, errors };
    if (Object.keys(errors).length > 0) return this.show(request, response, auth, failed);
    await this.attempt(request, response, auth, failed, async () => {
      await this.account.changePassword(auth, {
        currentPassword: hadPassword ? currentPassword : undefined,
        newPassword,
      });
      await this.browserSessions.renew(response, auth, { securityEvent: true });
      this.pages.redirect(response, '/settings', hadPassword ? 'password-changed' : 'password-set');
    });
  }

  @Post('password/remove')
  @SignInThrottle()
  @RequireRecentSignIn()
  async removePassword(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    await this.attempt(request, response, auth, { status: 400, form: 'password' }, async () => {
      await this.linking.removePassword(auth);
      await this.browserSessions.renew(response, auth, { securityEvent: true });
      this.pages.redirect(response, '/settings', 'password-removed');
    });
  }

  @Post('connections/:provider/connect')
  @SignInThrottle()
  @RequireRecentSignIn()
  async connect(
    @CurrentAuth() auth: Auth,
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    await this.attempt(request, response, auth, { status: 400, form: 'connections' }, async () => {
      const url = await this.social.start(key, {
        purpose: 'link',
        auth,
        browserSecret: this.flowCookie.issue(response),
      });
      response.redirect(303, url);
    });
  }

  @Post('connections/:provider/disconnect')
  @RequireRecentSignIn()
  async disconnect(
    @CurrentAuth() auth: Auth,
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    await this.attempt(request, response, auth, { status: 400, form: 'connections' }, async () => {
      await this.linking.unlink(auth, key);
      this.pages.redirect(response, '/settings', 'provider-unlinked');
    });
  }

  /** Signs out one of the account's sessions; this browser's own signs it out like "Sign out". */
  @Post('sessions/:id/sign-out')
  async endSession(
    @CurrentAuth() auth: Auth,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    await this.attempt(request, response, auth, { status: 400, form: 'sessions' }, async () => {
      if (await this.browserSessions.end(response, auth, id)) {
        this.pages.redirect(response, '/login', 'signed-out');
      } else {
        this.pages.redirect(response, '/settings', 'session-ended');
      }
    });
  }

  @Post('sessions/sign-out-others')
  async endOtherSessions(
    @CurrentAuth() { user, session }: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    await this.sessions.revokeOthers(user._id, session._id);
    this.pages.redirect(response, '/settings', 'other-sessions-ended');
  }

  /** "Confirm it's you", asked for directly (the filter shows it when a change needs it). */
  @Get('confirm')
  confirm(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.pages.renderConfirm(request, response, auth, 200);
  }

  @Post('confirm')
  @SignInThrottle()
  async submitConfirm(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    const password = formField(request.body, 'password');
    try {
      if (!password)
        throw new AppError('VALIDATION_FAILED', 'Please fill in this field.', 'password');
      await this.auth.confirmPassword(auth.user, password, 'password');
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      const errors = { [error.field ?? 'password']: error.message };
      return this.pages.renderConfirm(request, response, auth, error.status, errors);
    }
    await this.browserSessions.renew(response, auth, {
      proof: { method: 'password' },
      securityEvent: true,
    });
    this.pages.redirect(response, '/settings', 'reauthenticated');
  }

  @Get('delete')
  @RequireRecentSignIn()
  confirmDeletion(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.showDeletion(request, response, auth, 200);
  }

  @Post('delete')
  @SignInThrottle()
  @RequireRecentSignIn()
  async deleteAccount(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    this.pages.checkForm(request);
    const password = formField(request.body, 'password') || undefined;
    try {
      await this.account.deleteAccount(auth, password);
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      // A refusal about the account itself (LAST_ADMIN) names no field: it shows above the form.
      const problems = error.field
        ? { errors: { [error.field]: error.message } }
        : { error: error.message };
      return this.showDeletion(request, response, auth, error.status, problems);
    }
    this.browserSessions.forget(response);
    this.pages.redirect(response, '/login', 'account-deleted');
  }

  /** Runs a change; a refusal the person can act on shows on the settings page with its status. */
  private async attempt(
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

  private async show(
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
        sessions,
        otherSessions: sessions.some(({ current }) => !current),
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

  private showDeletion(
    request: Request,
    response: Response,
    auth: Auth,
    status: number,
    { errors = {}, error }: { errors?: FieldErrors; error?: string } = {},
  ): Promise<void> {
    return this.pages.render(
      request,
      response,
      'delete',
      {
        title: 'Delete your account',
        hasPassword: typeof auth.user.passwordHash === 'string',
        errors,
        error,
      },
      status,
    );
  }
}
