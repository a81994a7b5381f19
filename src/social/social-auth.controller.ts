import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BrowserSessions } from '../auth/browser-sessions';
import { AppError } from '../common/app-error';
import { Public } from '../common/public.decorator';
import { SignInThrottle } from '../common/sign-in-throttle';
import { toUserView } from '../users/user.view';
import { FlowCookie } from './flow-cookie';
import { ProviderClients } from './provider-clients';
import { ProviderInfoView } from './provider-info.view';
import { SignInFlow } from './sign-in-flow.schema';
import { SocialAuthService } from './social-auth.service';

/** Parameters only a provider's callback carries: on a start they can only be injected. */
const CALLBACK_PARAMETERS = ['code', 'state', 'error', 'error_description', 'error_code', 'iss'];

/** Browsers are redirected; a client that asks for JSON gets JSON. */
function wantsJson(request: Request): boolean {
  return request.accepts(['html', 'json']) === 'json';
}

@ApiTags('auth')
@Public()
@Controller('auth')
export class SocialAuthController {
  constructor(
    private readonly providers: ProviderClients,
    private readonly social: SocialAuthService,
    private readonly browserSessions: BrowserSessions,
    private readonly flowCookie: FlowCookie,
  ) {}

  @Get('providers')
  @ApiOkResponse({ type: [ProviderInfoView], description: 'The enabled sign-in providers.' })
  list(): ProviderInfoView[] {
    return this.providers.list();
  }

  @Get(':provider')
  @SignInThrottle()
  @ApiQuery({
    name: 'returnTo',
    required: false,
    description: 'A path on this service (or a URL on an allowed origin) to land on afterwards.',
  })
  @ApiQuery({
    name: 'reauth',
    required: false,
    description:
      '1: confirm who the signed-in person is with a provider already connected to the account, instead of signing in.',
  })
  @ApiFoundResponse({
    description:
      'Redirect to the provider. This only ever signs in (or re-authenticates with reauth=1); linking starts with POST /me/connections/{key}.',
  })
  async start(
    @Param('provider') key: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    try {
      const injected = CALLBACK_PARAMETERS.find((name) => name in query);
      if (injected) {
        throw new AppError(
          'VALIDATION_FAILED',
          `"${injected}" belongs to a provider's answer, not to the start of a sign-in.`,
          injected,
        );
      }
      const reauth = query.reauth === '1' || query.reauth === 'true';
      const auth = reauth ? await this.browserSessions.authenticate(request) : null;
      const url = await this.social.start(key, {
        purpose: auth ? 'reauthenticate' : 'sign-in',
        auth: auth ?? undefined,
        returnTo: query.returnTo,
        browserSecret: this.flowCookie.issue(response),
      });
      response.redirect(302, url);
    } catch (error) {
      this.fail(error, undefined, request, response);
    }
  }

  @Get(':provider/callback')
  @ApiProduces('application/json', 'text/html')
  @ApiFoundResponse({
    description:
      'Back to `returnTo`, or to /login?error=CODE (/settings?error=CODE when linking or re-authenticating).',
  })
  async callback(
    @Param('provider') key: string,
    @Query() query: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    let flow: SignInFlow | undefined;
    try {
      const browserSecret = this.flowCookie.read(request);
      this.flowCookie.clear(response);
      flow = await this.social.takeFlow(key, query.state, browserSecret);
      const current = await this.browserSessions.authenticate(request);
      const result = await this.social.finish(
        flow,
        { code: query.code, error: query.error ?? query.error_code },
        current,
      );
      const proof = { method: 'provider' as const, provider: key };
      if (result.action === 'reauthenticated') {
        await this.browserSessions.renew(response, current!, proof);
      } else if (result.action !== 'linked') {
        await this.browserSessions.signIn(request, response, result.user, proof);
      }
      if (wantsJson(request)) {
        response.status(200).json({
          action: result.action,
          user: toUserView(result.user),
          returnTo: result.returnTo,
        });
      } else {
        response.redirect(302, result.returnTo);
      }
    } catch (error) {
      this.fail(error, flow, request, response);
    }
  }

  /** Client errors go back to the browser's page with their code; anything else to the exception filter. */
  private fail(error: unknown, flow: SignInFlow | undefined, request: Request, response: Response) {
    if (!(error instanceof AppError) || wantsJson(request)) throw error;
    response.redirect(302, this.social.failurePage(flow, error.code));
  }
}
