import { Controller, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentAuth } from '../../sign-in/authenticated-request';
import { BrowserSessions } from '../../sign-in/sessions/browser-sessions';
import { SessionsService } from '../../sign-in/sessions/sessions.service';
import { RequireFormToken } from '../csrf.guard';
import { PageErrorFilter } from '../page-error.filter';
import { PagesService } from '../pages.service';
import { SettingsPage } from './settings-page';

/** The account's sessions, as the settings page lists them: signing one or all others out. */
@ApiExcludeController()
@UseFilters(PageErrorFilter)
@Controller('settings')
export class SessionsSettingsController {
  constructor(
    private readonly pages: PagesService,
    private readonly page: SettingsPage,
    private readonly browserSessions: BrowserSessions,
    private readonly sessions: SessionsService,
  ) {}

  /** Signs out one of the account's sessions; this browser's own signs it out like "Sign out". */
  @Post('sessions/:id/sign-out')
  @RequireFormToken()
  async endSession(
    @CurrentAuth() auth: Auth,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.page.attempt(
      request,
      response,
      auth,
      { status: 400, form: 'sessions' },
      async () => {
        if (await this.browserSessions.end(response, auth, id)) {
          this.pages.redirect(response, '/login', 'signed-out');
        } else {
          this.pages.redirect(response, '/settings', 'session-ended');
        }
      },
    );
  }

  @Post('sessions/sign-out-others')
  @RequireFormToken()
  async endOtherSessions(
    @CurrentAuth() { user, session }: Auth,
    @Res() response: Response,
  ): Promise<void> {
    await this.sessions.revokeOthers(user._id, session._id);
    this.pages.redirect(response, '/settings', 'other-sessions-ended');
  }
}
