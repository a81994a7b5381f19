import { Controller, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AccountService, changesSignInName } from '../../account/account.service';
import { UpdateProfileDto } from '../../account/dto/update-profile.dto';
import { Auth, AuthenticatedRequest, CurrentAuth } from '../../sign-in/authenticated-request';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { ProfileFields } from '../../users/profile-fields/profile-fields.service';
import { EmailVerification } from '../../account/email-verification/email-verification.service';
import { RequireFormToken } from '../csrf.guard';
import { formField, readForm } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';
import { readProfileForm } from '../profile-form';
import { SettingsPage } from './settings-page';

/** A profile form changes the email or username only when it sends a different one. */
const profileChangesSignIn = ({ auth, body }: AuthenticatedRequest) =>
  changesSignInName(auth.user, (body ?? {}) as Record<string, unknown>);

/** The profile form of the settings page, and its email address's verification and change. */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class ProfileSettingsController {
  constructor(
    private readonly pages: PagesService,
    private readonly page: SettingsPage,
    private readonly account: AccountService,
    private readonly verification: EmailVerification,
    private readonly profileFields: ProfileFields,
  ) {}

  @Post('profile')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn(profileChangesSignIn)
  async saveProfile(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
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
    if (Object.keys(failed.errors).length > 0) {
      return this.page.show(request, response, auth, failed);
    }
    const name = formField(request.body, 'name').trim() === '' ? null : form.value.name;
    await this.page.attempt(request, response, auth, failed, async () => {
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
  @RequireFormToken()
  @SignInThrottle()
  async resendVerification(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const failed = { status: 400, form: 'profile' as const, errors: {}, typed: {} };
    await this.page.attempt(request, response, auth, failed, async () => {
      await this.verification.resend(auth);
      this.pages.redirect(response, '/settings', 'verification-sent');
    });
  }

  @Post('email/cancel')
  @RequireFormToken()
  async cancelEmailChange(@CurrentAuth() auth: Auth, @Res() response: Response): Promise<void> {
    await this.verification.cancelPendingChange(auth.user);
    this.pages.redirect(response, '/settings', 'email-change-cancelled');
  }
}
