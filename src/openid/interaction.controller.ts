import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../platform/http/public.decorator';
import { AppConfig } from '../platform/config/app-config';
import { INTERACTION_PATH, OidcProvider } from './oidc-provider.service';

/**
 * Where an app's authorization request needs the person: the provider finishes it for whoever is
 * signed in here (OidcProvider.finishInteraction), or the browser goes to /login, and comes back
 * here afterwards. The apps are first-party: there is no consent screen.
 */
@ApiExcludeController()
@Public()
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  constructor(
    private readonly oidc: OidcProvider,
    private readonly config: AppConfig,
  ) {}

  @Get(':uid')
  async interaction(
    @Param('uid') uid: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    if ((await this.oidc.finishInteraction(request, response)) === 'answered') return;
    const returnTo = `${INTERACTION_PATH}/${uid}`;
    response.redirect(
      303,
      `${this.config.basePath}/login?returnTo=${encodeURIComponent(returnTo)}`,
    );
  }
}
