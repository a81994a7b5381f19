import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';
import type { Auth } from '../sign-in/authenticated-request';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { AppError } from '../platform/http/app-error';
import { Public } from '../platform/http/public.decorator';
import { AppConfig } from '../platform/config/app-config';
import { INTERACTION_PATH, OidcProvider, providerLogin } from './oidc-provider.service';

type Details = Awaited<ReturnType<OidcProvider['instance']['interactionDetails']>>;

/**
 * Where an app's authorization request needs the person: signed in here already (recently enough
 * when the app asked for a fresh sign-in), it completes at once; otherwise the browser goes to
 * /login, and comes back here afterwards. The apps are first-party: there is no consent screen.
 * A request whose `id_token_hint` names someone else shows the sign-in page once; whoever comes
 * back still not them, the app gets `login_required`.
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
    const hinted = hintedAccountOf(details);
    const notHinted = hinted !== undefined && auth?.user._id.toHexString() !== hinted;
    if (notHinted && signInAlreadyOffered(details)) {
      // OpenID Connect Core 3.1.2.1: the person the app named did not sign in. The app hears
      // so at its redirect_uri, rather than the sign-in page coming back or a code for someone else.
      await provider.interactionFinished(
        request,
        response,
        {
          error: 'login_required',
          error_description: 'The person signed in is not the one id_token_hint names',
        },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (!auth || notHinted || needsFreshSignIn(details, auth)) {
      // Once per request with a hint: whoever comes back from /login is the answer.
      if (hinted !== undefined) {
        await provider.interactionResult(request, response, SIGN_IN_OFFERED, {
          mergeWithLastSubmission: false,
        });
      }
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

/** Kept in the interaction's result while the browser is at /login for a hinted request. */
const SIGN_IN_OFFERED = { signInOffered: true };

/**
 * Whether the sign-in page was shown for this request already: by this interaction, or a sign-in
 * was submitted for it before and the provider asked again (its hint check, see OidcProvider).
 */
function signInAlreadyOffered(details: Details): boolean {
  return details.result?.signInOffered === true || details.lastSubmission?.login !== undefined;
}

/**
 * The account the app's `id_token_hint` names (`sub` is the account's id), if it sent one. The
 * provider verified the token when the request began; the interaction keeps it server-side.
 */
function hintedAccountOf(details: Details): string | undefined {
  const hint = details.params.id_token_hint;
  return typeof hint === 'string' ? decodeJwt(hint).sub : undefined;
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
