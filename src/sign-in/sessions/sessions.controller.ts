import { Controller, Delete, Get, HttpCode, Param, Req, Res } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiErrors } from '../../platform/http/api-errors.decorator';
import { AppError } from '../../platform/http/app-error';
import { Auth, CurrentAuth } from '../authenticated-request';
import { BrowserSessions } from './browser-sessions';
import { SessionView, toSessionView } from './session.view';
import { SESSION_COOKIE_HEADER } from './session-cookie';
import { SessionsService } from './sessions.service';

/**
 * Where the account is signed in, and signing those places out. Ending a session only takes
 * access away, so it needs no recent sign-in.
 */
@ApiTags('account')
@Controller('me/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly browserSessions: BrowserSessions,
  ) {}

  @Get()
  @ApiOperation({ summary: "The account's live sessions" })
  @ApiOkResponse({
    type: [SessionView],
    description: "The account's live sessions, newest first.",
  })
  async list(@CurrentAuth() { user, session }: Auth): Promise<SessionView[]> {
    const sessions = await this.sessions.list(user._id);
    return sessions.map((each) => toSessionView(each, session._id));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out everywhere else' })
  @ApiNoContentResponse({ description: 'Every other session of the account is ended.' })
  endOthers(@CurrentAuth() { user, session }: Auth, @Req() request: Request): Promise<void> {
    // Express matches /me/sessions/ here too: a client that sent an empty id must not end them all.
    if (request.path.endsWith('/')) {
      throw new AppError('SESSION_NOT_FOUND', 'A session id is missing from the path.');
    }
    return this.sessions.revokeOthers(user._id, session._id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out one session' })
  @ApiParam({ name: 'id', description: 'The `id` of a session from GET /me/sessions.' })
  @ApiNoContentResponse({
    headers: SESSION_COOKIE_HEADER,
    description:
      'The session is ended. When it is the one making the request, this browser is signed out and its cookie cleared, as by POST /auth/logout.',
  })
  @ApiErrors('SESSION_NOT_FOUND')
  async end(
    @CurrentAuth() auth: Auth,
    @Param('id') id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.browserSessions.end(response, auth, id);
  }
}
