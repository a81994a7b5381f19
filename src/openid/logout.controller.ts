import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { Public } from '../platform/http/public.decorator';
import { AppConfig } from '../platform/config/app-config';
import type { OidcClientSettings } from './oidc-clients';
import { OpenIdConfig, openIdConfig } from './openid-config';

/**
 * An app's "sign out": ends the session here (and the provider's), then sends the browser back to
 * the app, but only ever to an address the app registered.
 */
@ApiTags('oauth2')
@Public()
@Controller('oauth2')
export class LogoutController {
  constructor(
    private readonly browserSessions: BrowserSessions,
    private readonly config: AppConfig,
    @Inject(openIdConfig.KEY) private readonly openid: OpenIdConfig,
  ) {}

  @Get('logout')
  @Public({ readsSession: true })
  @ApiOperation({
    summary: "An app's sign-out (OpenID Connect RP-initiated logout)",
    description:
      'The end_session_endpoint of the discovery document. The rest of the provider (/oauth2/auth, /oauth2/token, /.well-known/openid-configuration …) is described by that document, not here.',
  })
  @ApiQuery({ name: 'client_id', required: false })
  @ApiQuery({ name: 'post_logout_redirect_uri', required: false })
  @ApiQuery({ name: 'id_token_hint', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiResponse({
    status: 303,
    headers: { Location: { description: 'Where the browser goes.', schema: { type: 'string' } } },
    description:
      "Signed out here. To `post_logout_redirect_uri` when the app registered it, else to the app's first registered one, else to the signed-out page.",
  })
  async logout(
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    // The provider's sessions of the account end with it (BrowserSessions.signOut).
    await this.browserSessions.signOut(request, response);
    const client = this.clientOf(query);
    const target = client && destination(client, query.post_logout_redirect_uri);
    if (!target) {
      response.redirect(303, `${this.config.basePath}/login?notice=signed-out`);
      return;
    }
    if (typeof query.state === 'string' && query.state.length <= 512) {
      target.searchParams.set('state', query.state);
    }
    response.redirect(303, target.href);
  }

  /** The app named by client_id, or else by the audience of id_token_hint (which only picks it). */
  private clientOf(query: Record<string, unknown>): OidcClientSettings | undefined {
    const clientId =
      typeof query.client_id === 'string' ? query.client_id : audienceOf(query.id_token_hint);
    return this.openid.oidcClients.find((client) => client.client_id === clientId);
  }
}

/** The requested address if the app registered it exactly, else its first one. */
function destination(client: OidcClientSettings, requested: unknown): URL | undefined {
  const registered = client.post_logout_redirect_uris;
  const chosen =
    typeof requested === 'string' && registered.includes(requested) ? requested : registered[0];
  return chosen ? new URL(chosen) : undefined;
}

function audienceOf(idToken: unknown): string | undefined {
  if (typeof idToken !== 'string') return undefined;
  try {
    const payload = JSON.parse(
      Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { aud?: unknown };
    const aud: unknown = Array.isArray(payload.aud) ? (payload.aud as unknown[])[0] : payload.aud;
    return typeof aud === 'string' ? aud : undefined;
  } catch {
    return undefined;
  }
}
