import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService } from '../account/account.service';
import { UpdateProfileDto } from '../account/dto/update-profile.dto';
import { Auth } from '../auth/authenticated-request';
import { SocialAuthService } from '../auth/social/social-auth.service';
import { AppError } from '../common/app-error';
import { Public } from '../common/public.decorator';
import { SignInThrottle } from '../common/sign-in-throttle';
import { LinkingService } from '../linking/linking.service';
import { toUserView } from '../users/user.view';
import { FieldErrors, formField, readForm } from './forms';
import { errorText } from './messages';
import { PagesService } from './pages.service';

interface SettingsProblems {
  status: number;
  /** Which form the problem is about, so it shows in the right place. */
  form?: 'profile' | 'password' | 'connections';
  error?: string;
  errors?: FieldErrors;
  typed?: Record<string, string>;
}

/** The settings page and its forms: profile, password, connections, account deletion. */
@ApiExcludeController()
@Public()
@Controller('settings')
export class SettingsPagesController {
  constructor(
    private readonly pages: PagesService,
    private readonly account: AccountService,
    private readonly linking: LinkingService,
    private readonly social: SocialAuthService,
  ) {}

  @Get()
  async settings(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.signedIn(request, response);
    if (!auth) return;
    this.show(request, response, auth, { status: 200, error: errorText(request.query.error) });
  }

  @Post('profile')
  @SignInThrottle()
  async saveProfile(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.signedInForm(request, response);
    if (!auth) return;
    // Empty fields leave the value as it is.
    const form = await readForm(UpdateProfileDto, request.body, {
      required: [],
      optional: ['name', 'username', 'email'],
    });
    const failed = {
      status: 400,
      form: 'profile' as const,
      errors: form.errors,
      typed: form.typed,
    };
    if (Object.keys(form.errors).length > 0) return this.show(request, response, auth, failed);
    await this.attempt(request, response, auth, failed, async () => {
      await this.account.updateProfile(auth.user, form.value);
      this.pages.redirect(response, '/settings', 'profile-saved');
    });
  }

  @Post('password')
  @SignInThrottle()
  async savePassword(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.signedInForm(request, response);
    if (!auth) return;
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
      this.pages.redirect(response, '/settings', hadPassword ? 'password-changed' : 'password-set');
    });
  }

  @Post('password/remove')
  @SignInThrottle()
  async removePassword(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.signedInForm(request, response);
    if (!auth) return;
    await this.attempt(request, response, auth, { status: 400, form: 'password' }, async () => {
      await this.linking.removePassword(auth.user);
      this.pages.redirect(response, '/settings', 'password-removed');
    });
  }

  @Post('connections/:provider/connect')
  async connect(
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const auth = await this.signedInForm(request, response);
    if (!auth) return;
    await this.attempt(request, response, auth, { status: 400, form: 'connections' }, async () => {
      response.redirect(303, await this.social.start(key, request, response, auth));
    });
  }

  @Post('connections/:provider/disconnect')
  async disconnect(
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const auth = await this.signedInForm(request, response);
    if (!auth) return;
    await this.attempt(request, response, auth, { status: 400, form: 'connections' }, async () => {
      await this.linking.unlink(auth.user, key);
      this.pages.redirect(response, '/settings', 'provider-unlinked');
    });
  }

  @Get('delete')
  async confirmDeletion(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.signedIn(request, response);
    if (!auth) return;
    this.showDeletion(request, response, auth, 200);
  }

  @Post('delete')
  @SignInThrottle()
  async deleteAccount(@Req() request: Request, @Res() response: Response): Promise<void> {
    const auth = await this.signedInForm(request, response);
    if (!auth) return;
    const password = formField(request.body, 'password') || undefined;
    try {
      await this.account.deleteAccount(auth, password);
    } catch (error) {
      // Limits and BUSY go to the error page, which sends Retry-After.
      if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
      const field = error.field ?? 'password';
      return this.showDeletion(request, response, auth, error.status, { [field]: error.message });
    }
    this.pages.redirect(response, '/login', 'account-deleted');
  }

  /** The signed-in person, or a redirect to the sign-in page that comes back here. */
  private async signedIn(request: Request, response: Response): Promise<Auth | null> {
    const auth = await this.pages.current(request);
    if (!auth) {
      this.pages.redirect(
        response,
        `/login?returnTo=${encodeURIComponent(this.pages.path('/settings'))}`,
      );
    }
    return auth;
  }

  private async signedInForm(request: Request, response: Response): Promise<Auth | null> {
    this.pages.checkForm(request);
    return this.signedIn(request, response);
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
      this.show(request, response, auth, {
        ...failed,
        status: error.status,
        errors,
        error: error.field ? undefined : error.message,
      });
    }
  }

  private show(request: Request, response: Response, auth: Auth, problems: SettingsProblems): void {
    const { connections, password } = this.linking.connections(auth.user);
    this.pages.render(
      request,
      response,
      'settings',
      {
        title: 'Settings',
        user: toUserView(auth.user),
        connections,
        password,
        problems,
        values: { ...toUserView(auth.user), ...problems.typed },
      },
      problems.status,
    );
  }

  private showDeletion(
    request: Request,
    response: Response,
    auth: Auth,
    status: number,
    errors: FieldErrors = {},
  ): void {
    this.pages.render(
      request,
      response,
      'delete',
      {
        title: 'Delete your account',
        hasPassword: typeof auth.user.passwordHash === 'string',
        errors,
      },
      status,
    );
  }
}
