import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Auth } from '../auth/authenticated-request';
import { BrowserSessions } from '../auth/browser-sessions';
import { AppError } from '../common/app-error';
import { Public } from '../common/public.decorator';
import { AppConfig } from '../config/app-config';
import { INTERACTION_PATH, OidcProvider, providerLogin } from './oidc-provider.service';

type Details = Awaited<ReturnType<OidcProvider['instance']['interactionDetails']>>;

/**
 * Where an app's authorization request needs the person: signed in here already (recently enough
 * when the app asked for a fresh sign-in), it completes at once; otherwise the browser goes to
 * /login, and comes back here afterwards. The apps are first-party: there is no consent screen.
 */
@ApiExcludeController()
@Public()
@Controller(INTERACTION_PATH.slice(1))
export class InteractionController {
  constructor(
    private readonly oidc: OidcProvider,
    private readonly browserSessions: BrowserSessions,
    private readonly config: AppConfig,
  ) {}

  @Get(':uid')
  async interaction(
    @Param('uid') uid: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const provider = this.oidc.instance;
    const details = await provider.interactionDetails(request, response).catch(() => {
      // No interaction for this browser: expired, already finished, or started elsewhere.
      throw new AppError(
        'SIGN_IN_REQUEST_EXPIRED',
        'This sign-in request has expired or was already used. Go back to the app and sign in again.',
      );
    });
    const auth = await this.browserSessions.authenticate(request);
    if (!auth || needsFreshSignIn(details, auth)) {
      const returnTo = `${INTERACTION_PATH}/${uid}`;
      response.redirect(
        303,
        `${this.config.basePath}/login?returnTo=${encodeURIComponent(returnTo)}`,
      );
      return;
    }
    const login = providerLogin(auth);
    const { accountId } = login;
    await this.oidc.leaveForeignSession(details, accountId);
    const clientId = details.params.client_id as string;
    // A grant the request found is used only when it is this person's.
    const found = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant =
      found?.accountId === accountId && found.clientId === clientId
        ? found
        : new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      {
        login: { accountId, ts: login.loginTs, amr: login.amr },
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
  }
}

/**
 * `prompt=login`, or a `max_age` the sign-in here is older than: the person signs in again first
 * (after the request began, for prompt=login).
 */
function needsFreshSignIn(details: Details, { session }: Auth): boolean {
  const signedInAt = session.authenticatedAt.getTime();
  // Signed in after the second the request began (iat counts whole seconds): as fresh as it gets.
  if (signedInAt >= (details.iat + 1) * 1000) return false;
  const prompts = typeof details.params.prompt === 'string' ? details.params.prompt.split(' ') : [];
  if (prompts.includes('login')) return true;
  const maxAge = Number(details.params.max_age);
  return Number.isFinite(maxAge) && Date.now() - signedInAt > maxAge * 1000;
}
