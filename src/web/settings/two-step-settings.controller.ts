import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError } from '../../platform/http/app-error';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { SignInThrottle } from '../../sign-in/limits/sign-in-throttle';
import { RequireRecentSignIn } from '../../sign-in/reauthentication/recent-sign-in.guard';
import { ConfirmTwoStepDto } from '../../sign-in/two-step/dto/two-step.dto';
import { TwoStepService } from '../../sign-in/two-step/two-step.service';
import { RequireFormToken } from '../csrf.guard';
import { FieldErrors, readForm, withoutSpaces } from '../forms';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';
import { qrCodeMarkup } from '../qr-code-markup';
import { SettingsPage } from './settings-page';

/** The refusals a person can meet here, in the page's words (the API's name its routes). */
const REFUSALS: Partial<Record<string, string>> = {
  TWO_STEP_ALREADY_ENABLED:
    'Two-step sign-in is already on. To use another app, turn it off first, then on again.',
  TWO_STEP_NOT_SET_UP:
    'There is no set-up waiting for a code any more (it was finished or cancelled meanwhile). Choose "Turn on" to start again.',
  TWO_STEP_NOT_ENABLED: 'Two-step sign-in is not on for your account.',
};

/**
 * Two-step sign-in from the settings page: turning it on (a pending set-up shown on its own page
 * until a first code confirms it, then the recovery codes, shown this once), new recovery codes,
 * and turning it off after a confirmation page. Each needs a recent sign-in, as the API's routes
 * do, and each change is TwoStepService's, the same as for POST/DELETE /me/two-step.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings/two-step')
export class TwoStepSettingsController {
  constructor(
    private readonly pages: PagesService,
    private readonly page: SettingsPage,
    private readonly twoStep: TwoStepService,
  ) {}

  /** "Turn on": a new pending secret (replacing a pending one), shown by the set-up page. */
  @Post()
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async turnOn(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.refusedOnSettings(request, response, auth, async () => {
      await this.twoStep.setUp(auth.user);
      this.pages.redirect(response, '/settings/two-step');
    });
  }

  /**
   * The pending set-up: the QR code, the secret to type, and the form for the first code. Its
   * secret is as sensitive as the account's future codes, so it too needs a recent sign-in.
   */
  @Get()
  @RequireRecentSignIn()
  async showSetUp(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.renderSetUp(request, response, auth, {}, 200);
  }

  @Post('confirm')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async confirm(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const form = await readForm(ConfirmTwoStepDto, withoutSpaces(request.body, 'code'), {
      required: ['code'],
    });
    if (form.errors.code) {
      return this.renderSetUp(request, response, auth, { code: form.errors.code }, 400);
    }
    let recoveryCodes: string[];
    try {
      recoveryCodes = await this.twoStep.confirm(auth.user, form.value.code);
    } catch (error) {
      // A wrong code shows under the field, with the same QR code and secret to try again.
      if (error instanceof AppError && error.field === 'code') {
        return this.renderSetUp(request, response, auth, { code: error.message }, error.status);
      }
      return this.showRefusal(request, response, auth, error);
    }
    await this.renderRecoveryCodes(request, response, recoveryCodes, 'enabled');
  }

  /** A new set of recovery codes in place of the old one, shown this once. */
  @Post('recovery-codes')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async newRecoveryCodes(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.refusedOnSettings(request, response, auth, async () => {
      const recoveryCodes = await this.twoStep.newRecoveryCodes(auth.user);
      await this.renderRecoveryCodes(request, response, recoveryCodes, 'replaced');
    });
  }

  /** "Turn off" asks first, on a page of its own. */
  @Get('turn-off')
  @RequireRecentSignIn()
  async confirmTurnOff(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    if (auth.user.twoStep?.enabled !== true) {
      return this.pages.redirect(response, '/settings');
    }
    await this.pages.render(request, response, 'two-step-turn-off', {
      title: 'Turn off two-step sign-in',
    });
  }

  @Post('turn-off')
  @RequireFormToken()
  @SignInThrottle()
  @RequireRecentSignIn()
  async turnOff(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.refusedOnSettings(request, response, auth, async () => {
      await this.twoStep.turnOff(auth.user);
      this.pages.redirect(response, '/settings', 'two-step-disabled');
    });
  }

  /** The set-up page of the pending set-up; without one (none, confirmed, turned off), the settings. */
  private async renderSetUp(
    request: Request,
    response: Response,
    auth: Auth,
    errors: FieldErrors,
    status: number,
  ): Promise<void> {
    const setUp = await this.twoStep.pendingSetUp(auth.user);
    if (!setUp) return this.pages.redirect(response, '/settings');
    await this.pages.render(
      request,
      response,
      'two-step-set-up',
      {
        title: 'Turn on two-step sign-in',
        qrSvg: qrCodeMarkup(setUp.qrSvg),
        // In groups of four, as authenticator apps show keys; they ignore the spaces.
        secretGroups: setUp.secret.match(/.{1,4}/g)!.join(' '),
        otpauthUrl: setUp.otpauthUrl,
        errors,
      },
      status,
    );
  }

  private renderRecoveryCodes(
    request: Request,
    response: Response,
    recoveryCodes: string[],
    why: 'enabled' | 'replaced',
  ): Promise<void> {
    return this.pages.render(request, response, 'two-step-recovery-codes', {
      title: why === 'enabled' ? 'Two-step sign-in is on' : 'Your new recovery codes',
      enabled: why === 'enabled',
      recoveryCodes,
    });
  }

  /** Runs a change; a refusal (already on, not on…) shows in the settings' two-step section. */
  private async refusedOnSettings(
    request: Request,
    response: Response,
    auth: Auth,
    change: () => Promise<void>,
  ): Promise<void> {
    try {
      await change();
    } catch (error) {
      await this.showRefusal(request, response, auth, error);
    }
  }

  private showRefusal(
    request: Request,
    response: Response,
    auth: Auth,
    error: unknown,
  ): Promise<void> {
    // Limits and BUSY go to the error page, which sends Retry-After.
    if (!(error instanceof AppError) || error.retryAfterSeconds !== undefined) throw error;
    return this.page.show(request, response, auth, {
      status: error.status,
      form: 'twoStep',
      error: REFUSALS[error.code] ?? error.message,
    });
  }
}
