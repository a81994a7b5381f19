import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiExcludeEndpoint,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { Public } from '../platform/http/public.decorator';
import { ApiErrors } from '../platform/http/api-errors.decorator';
import { CrossSiteAllowed } from '../platform/http/cross-site-request.guard';
import {
  type CheckedLogout,
  IGNORED_LOGOUT_PARAMETERS,
  LOGOUT_PARAMETERS,
  LogoutRequests,
  MAX_LENGTH,
  readLogoutParameters,
} from '../openid/logout-request';
import { RequireFormToken } from './csrf.guard';
import { PagesService } from './pages.service';

const LOCATION = {
  Location: { description: 'Where the browser goes.', schema: { type: 'string' } },
};

/** Each parameter's schema: a string of at most its length (the ignored ones: any string). */
const PARAMETER_SCHEMAS = {
  ...Object.fromEntries(
    LOGOUT_PARAMETERS.map((name) => [name, { type: 'string', maxLength: MAX_LENGTH[name] }]),
  ),
  ...Object.fromEntries(IGNORED_LOGOUT_PARAMETERS.map((name) => [name, { type: 'string' }])),
} as Record<string, { type: 'string'; maxLength?: number }>;

/** A query parameter: a string, at most its length (said in its description). */
function queryParameter(name: keyof typeof MAX_LENGTH) {
  return {
    name,
    required: false,
    schema: { type: 'string' as const },
    description: `At most ${MAX_LENGTH[name]} characters.`,
  };
}

const BODY_SCHEMA = {
  type: 'object' as const,
  properties: PARAMETER_SCHEMAS,
  additionalProperties: false,
};

/**
 * An app's "sign out" (OpenID Connect RP-Initiated Logout 1.0). A request proved by the app's
 * `id_token_hint` for the person signed in here signs out at once; any other asks the person first
 * (a page whose form carries a CSRF token), so that a link or form from another site never signs
 * anyone out. The browser goes back only to an address the app registered, for a proved app.
 */
@ApiTags('oauth2')
@Public({ readsSession: true })
@Controller('oauth2/logout')
export class OAuthLogoutController {
  constructor(
    private readonly browserSessions: BrowserSessions,
    private readonly requests: LogoutRequests,
    private readonly pages: PagesService,
  ) {}

  @Get()
  @ApiOperation({
    summary: "An app's sign-out (OpenID Connect RP-Initiated Logout 1.0)",
    description:
      "The end_session_endpoint of the discovery document. With an `id_token_hint` this provider issued to the app (and to `client_id` when given) for the person signed in here, signs out here at once; otherwise shows a page that asks the person (nothing ends until they confirm). Goes back to `post_logout_redirect_uri`, with `state`, only when the hint's app registered it exactly. The rest of the provider (/oauth2/authorize, /oauth2/token, /.well-known/openid-configuration …) is described by that document, not here.",
  })
  // Their lengths are said, not declared: a query of many long strings (of characters that
  // percent-encode to several bytes each) would pass Node's 16 kB limit of a request's head.
  @ApiQuery(queryParameter('id_token_hint'))
  @ApiQuery(queryParameter('client_id'))
  @ApiQuery(queryParameter('post_logout_redirect_uri'))
  @ApiQuery(queryParameter('state'))
  @ApiResponse({
    status: 200,
    description: 'The page that asks the person to confirm signing out (HTML).',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiResponse({
    status: 303,
    headers: LOCATION,
    description:
      "Signed out here (or no one was signed in): to the app's `post_logout_redirect_uri` with `state`, else to the signed-out page.",
  })
  @ApiErrors('VALIDATION_FAILED')
  async logout(
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const checked = await this.requests.check(readLogoutParameters(query));
    const auth = await this.browserSessions.authenticate(request);
    if (!auth) return this.leave(response, checked);
    // The app proved it asks for this person: no need to ask them (RP-Initiated Logout 1.0 §2
    // requires asking only without such a hint). Anything short of that, they are asked.
    if (checked.hint?.sub === auth.user._id.toHexString() && !checked.returnRefused) {
      await this.browserSessions.signOut(request, response);
      return this.leave(response, checked);
    }
    await this.pages.render(request, response, 'oauth-logout', {
      title: 'Sign out?',
      appName: checked.app && (checked.app.client_name ?? checked.app.client_id),
      returnRefused: checked.returnRefused,
      parameters: LOGOUT_PARAMETERS.flatMap((name) => {
        const value = checked.parameters[name];
        return value === undefined ? [] : [{ name, value }];
      }),
    });
  }

  /**
   * An app's sign-out by form post. The browser sends no session cookie with another site's post
   * (SameSite=Lax), so nothing is decided here: it goes on to the GET, which it sends with one.
   */
  @Post()
  @CrossSiteAllowed()
  @ApiOperation({
    summary: "An app's sign-out by form post (OpenID Connect RP-Initiated Logout 1.0)",
    description:
      'The same parameters as the GET, as a form (`application/x-www-form-urlencoded`, as apps send it) or as JSON; `logout_hint` and `ui_locales` are taken and ignored, any other field is refused. Answered with a redirect to the GET carrying them, where the browser sends its session cookie; nothing ends here.',
  })
  // Described as JSON, which it takes too: a form cannot carry every body its description would
  // forbid (the parser drops a field without a name), so schemathesis could not hold it to it.
  @ApiBody({ schema: BODY_SCHEMA, required: false })
  @ApiResponse({ status: 303, headers: LOCATION, description: 'To GET /oauth2/logout.' })
  @ApiErrors('VALIDATION_FAILED')
  logoutByPost(@Body() body: unknown, @Res() response: Response): void {
    const parameters = new URLSearchParams(readLogoutParameters(body, { onlyKnown: true }));
    const query = parameters.size > 0 ? `?${parameters.toString()}` : '';
    response.redirect(303, `${this.pages.base}/oauth2/logout${query}`);
  }

  /** The person confirmed on the page: signed out, then back to the app if the request proved it. */
  @Post('confirm')
  @RequireFormToken()
  @ApiExcludeEndpoint()
  async confirm(
    @Body() body: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const checked = await this.requests.check(readLogoutParameters(body));
    await this.browserSessions.signOut(request, response);
    this.leave(response, checked);
  }

  private leave(response: Response, { returnTo }: CheckedLogout): void {
    if (returnTo) response.redirect(303, returnTo);
    else this.pages.redirect(response, '/login', 'signed-out');
  }
}
