import { Controller, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService } from '../../account/account.service';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { BrowserSessions } from '../../sign-in/sessions/browser-sessions';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { LinkingService } from '../../sign-in/methods/identities/linking/linking.service';
import { FlowCookie } from '../../sign-in/methods/identities/flow-cookie';
import { SocialAuthService } from '../../sign-in/methods/identities/social-auth.service';
import { RequireFormToken } from '../csrf.guard';
import { FieldErrors, formField } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';
import { SettingsPage } from './settings-page';

/**
 * The ways into the account, from the settings page: setting, changing or removing the password,
 * connecting or disconnecting a provider. Each needs a recent sign-in; the never-lock-out rule is
 * the linking service's.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class WaysInSettingsController {
  constructor(
    private readonly pages: PagesService,
    private readonly page: SettingsPage,
    private readonly account: AccountService,
    private readonly linking: LinkingService,
    private readonly social: SocialAuthService,
    private readonly browserSessions: BrowserSessions,
    private readonly flowCookie: FlowCookie,
  ) {}

  @Post('password')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async savePassword(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
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
    if (Object.keys(errors).length > 0) return this.page.show(request, response, auth, failed);
    await this.page.attempt(request, response, auth, failed, async () => {
      await this.account.changePassword(auth, {
        currentPassword: hadPassword ? currentPassword : undefined,
        newPassword,
      });
      await this.browserSessions.renew(response, auth, { securityEvent: true });
      this.pages.redirect(response, '/settings', hadPassword ? 'password-changed' : 'password-set');
    });
  }

  @Post('password/remove')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async removePassword(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.page.attempt(
      request,
      response,
      auth,
      { status: 400, form: 'password' },
      async () => {
        await this.linking.removePassword(auth);
        await this.browserSessions.renew(response, auth, { securityEvent: true });
        this.pages.redirect(response, '/settings', 'password-removed');
      },
    );
  }

  @Post('connections/:provider/connect')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async connect(
    @CurrentAuth() auth: Auth,
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const failed = { status: 400, form: 'connections' as const };
    await this.page.attempt(request, response, auth, failed, async () => {
      const url = await this.social.start(key, {
        purpose: 'link',
        auth,
        browserSecret: this.flowCookie.issue(response),
      });
      response.redirect(303, url);
    });
  }

  @Post('connections/:provider/disconnect')
  @RequireFormToken()
  @RequireRecentSignIn()
  async disconnect(
    @CurrentAuth() auth: Auth,
    @Param('provider') key: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const failed = { status: 400, form: 'connections' as const };
    await this.page.attempt(request, response, auth, failed, async () => {
      await this.linking.unlink(auth, key);
      this.pages.redirect(response, '/settings', 'provider-unlinked');
    });
  }
}
