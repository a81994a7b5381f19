import { Controller, Get, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { errorText } from '../messages';
import { PageErrorFilter } from '../page-error.filter';
import { SettingsPage } from './settings-page';

/**
 * The settings page itself; its forms post to the settings controllers of their topic. The same
 * guards as the API apply (a session; a recent sign-in for changes to how the account is entered);
 * PageErrorFilter turns their refusals into the sign-in page or a "confirm it's you" step.
 */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class SettingsController {
  constructor(private readonly page: SettingsPage) {}

  @Get()
  settings(
    @CurrentAuth() auth: Auth,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    return this.page.show(request, response, auth, {
      status: 200,
      error: errorText(request.query.error),
    });
  }
}
