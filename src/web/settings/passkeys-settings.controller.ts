import { Controller, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { RenamePasskeyDto } from '../../sign-in/methods/passkeys/dto/passkey-response.dto';
import { PasskeysService } from '../../sign-in/methods/passkeys/passkeys.service';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { RequireFormToken } from '../csrf.guard';
import { readForm } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';
import { SettingsPage } from './settings-page';

/**
 * The account's passkeys, from the settings page: renaming and removing one (adding one is a
 * WebAuthn ceremony, which the page script runs through the JSON API). Removing needs a recent
 * sign-in, and the never-lock-out rule is the passkeys service's.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings/passkeys')
export class PasskeysSettingsController {
  constructor(
    private readonly pages: PagesService,
    private readonly page: SettingsPage,
    private readonly passkeys: PasskeysService,
  ) {}

  @Post(':id/rename')
  @RequireFormToken()
  async rename(
    @CurrentAuth() auth: Auth,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const form = await readForm(RenamePasskeyDto, request.body, { required: ['name'] });
    // Each passkey has its own rename field: the problem shows under the one that was sent.
    const failed = { status: 400, form: 'passkeys' as const, passkey: id };
    if (form.errors.name) {
      return this.page.show(request, response, auth, {
        ...failed,
        errors: { passkeyName: form.errors.name },
      });
    }
    await this.page.attempt(request, response, auth, failed, async () => {
      await this.passkeys.rename(auth.user, id, form.value.name);
      this.pages.redirect(response, '/settings', 'passkey-renamed');
    });
  }

  @Post(':id/remove')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async remove(
    @CurrentAuth() auth: Auth,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const failed = { status: 400, form: 'passkeys' as const };
    await this.page.attempt(request, response, auth, failed, async () => {
      await this.passkeys.remove(auth, id);
      this.pages.redirect(response, '/settings', 'passkey-removed');
    });
  }
}
