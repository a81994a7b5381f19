import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../platform/http/public.decorator';
import { AppConfig } from '../platform/config/app-config';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { SecondStepPage } from '../sign-in/two-step/second-step-page';
import { INTERACTION_PATH, OidcProvider } from './oidc-provider.service';

/**
 * Where an app's authorization request needs the person: the provider finishes it for whoever is
 * signed in here (OidcProvider.finishInteraction), or the browser goes to /login (or, for a second
 * factor an app asks for, /login/second-factor), and comes back here afterwards. An app of another
 * party asks for consent on the consent page first (ConsentPageController).
 */
@ApiExcludeController()
@Public()
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  constructor(
    private readonly oidc: OidcProvider,
    private readonly config: AppConfig,
    private readonly sessions: BrowserSessions,
    private readonly secondStepPage: SecondStepPage,
  ) {}

  @Get(':uid')
  async interaction(
    @Param('uid') uid: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const outcome = await this.oidc.finishInteraction(request, response);
    if (outcome.next === 'answered') return;
    const returnTo = `${INTERACTION_PATH}/${uid}`;
    if (outcome.next === 'consent') {
      // Another party's app: the consent page (web/), under this path for the interaction's cookie.
      response.redirect(303, `${this.config.basePath}${returnTo}/consent`);
      return;
    }
    if (outcome.next === 'second-factor') {
      this.sessions.setSecondStepCookie(response, outcome.step);
      response.redirect(303, this.secondStepPage.url(returnTo));
      return;
    }
    // Asked for two factors: the sign-in page says a passkey gives them.
    const query = new URLSearchParams({
      returnTo,
      ...(outcome.twoFactors && { notice: 'two-factors-asked' }),
    });
    response.redirect(303, `${this.config.basePath}/login?${query.toString()}`);
  }
}
