import { Controller, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppsWithAccess } from '../../openid/apps/apps-with-access';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { RequireFormToken } from '../csrf.guard';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';
import { SettingsPage } from './settings-page';

/**
 * The apps with access, from the settings page: removing one (as DELETE /me/apps/{clientId}), after
 * "Confirm it's you" when the sign-in is not recent.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings/apps')
export class AppsSettingsController {
  constructor(
    private readonly pages: PagesService,
    private readonly page: SettingsPage,
    private readonly apps: AppsWithAccess,
  ) {}

  @Post(':clientId/remove')
  @RequireFormToken()
  @RequireRecentSignIn()
  async remove(
    @CurrentAuth() auth: Auth,
    @Param('clientId') clientId: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.page.attempt(request, response, auth, { status: 400, form: 'apps' }, async () => {
      await this.apps.revoke(auth.user._id, clientId);
      this.pages.redirect(response, '/settings', 'app-removed');
    });
  }
}
