import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BrowserSessions } from '../../sessions/browser-sessions';
import { SESSION_COOKIE_HEADER } from '../../sessions/session-cookie';
import { SignInRecord } from '../../sign-in-record';
import { SignInService } from '../../sign-in.service';
import { secondFactorRequiredError } from '../../two-step/second-factor-errors';
import { SecondStepPage } from '../../two-step/second-step-page';
import { ApiErrors } from '../../../platform/http/api-errors.decorator';
import { AppError, ErrorCode } from '../../../platform/http/app-error';
import { Public } from '../../../platform/http/public.decorator';
import { SignInThrottle } from '../../limits/sign-in-throttle';
import { toUserView, UserView } from '../../../users/user.view';
import { FlowCookie } from './flow-cookie';
import { ProviderClients } from './provider-clients';
import { ProviderInfoView } from './provider-info.view';
import { SignInFlow } from './sign-in-flow.schema';
import { SocialAuthService } from './social-auth.service';

/** Parameters only a provider's callback carries: on a start they can only be injected. */
const CALLBACK_PARAMETERS = ['code', 'state', 'error', 'error_description', 'error_code', 'iss'];

const ACTIONS = ['signed-in', 'registered', 'linked', 'reauthenticated'] as const;

class SocialOutcomeView {
  @ApiProperty({ enum: ACTIONS, description: 'What the provider round trip did.' })
  action!: (typeof ACTIONS)[number];

  @ApiProperty({ type: UserView })
  user!: UserView;

  @ApiProperty({ description: 'Where a browser would have been sent.' })
  returnTo!: string;
}

/** What a provider's round trip can end in, for a client that asked for JSON. */
const PROVIDER_ERRORS: ErrorCode[] = ['UNKNOWN_PROVIDER', 'PROVIDER_ERROR', 'PROVIDER_UNAVAILABLE'];

const PROVIDER = { name: 'provider', description: 'A provider key (GET /auth/providers).' };

const REDIRECTED = {
  headers: { Location: { description: 'Where the browser goes.', schema: { type: 'string' } } },
};

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
    private readonly signIn: SignInService,
    private readonly browserSessions: BrowserSessions,
    private readonly flowCookie: FlowCookie,
    private readonly secondStepPage: SecondStepPage,
  ) {}

  @Get('providers')
  @ApiOperation({ summary: 'The enabled sign-in providers' })
  @ApiOkResponse({ type: [ProviderInfoView], description: 'The enabled sign-in providers.' })
  list(): ProviderInfoView[] {
    return this.providers.list();
  }

  @Get(':provider')
  @Public({ readsSession: true })
  @SignInThrottle()
  @ApiOperation({
    summary: 'Sign in through a provider (or confirm who is signed in, with reauth=1)',
    description:
      'A browser is redirected, to the provider or, when the request is refused, to /login?error=CODE (/settings?error=CODE with reauth=1). A client that asks for JSON (`Accept: application/json`) gets refusals as errors.',
  })
  @ApiParam(PROVIDER)
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
    ...REDIRECTED,
    description:
      'To the provider, or to the page that shows why not. This only ever signs in (or re-authenticates with reauth=1); linking starts with POST /me/connections/{key}.',
  })
  @ApiErrors(...PROVIDER_ERRORS)
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
  @Public({ readsSession: true })
  @ApiOperation({
    summary: "The provider's answer: signs in, registers, links or confirms",
    description:
      "A browser is redirected back to `returnTo`, or to /login?error=CODE (/settings?error=CODE when linking or re-authenticating). A client that asks for JSON (`Accept: application/json`) gets the outcome, or the error. Only the browser that started the round trip can finish it (its flow cookie and the provider's `state`).",
  })
  @ApiParam(PROVIDER)
  @ApiQuery({ name: 'state', required: false, description: "The provider's `state`." })
  @ApiQuery({ name: 'code', required: false, description: 'The authorization code.' })
  @ApiQuery({ name: 'error', required: false, description: "The provider's refusal." })
  @ApiOkResponse({
    type: SocialOutcomeView,
    headers: SESSION_COOKIE_HEADER,
    description: 'For `Accept: application/json`.',
  })
  @ApiFoundResponse({
    headers: { ...REDIRECTED.headers, ...SESSION_COOKIE_HEADER },
    description: 'For a browser.',
  })
  @ApiErrors(
    ...PROVIDER_ERRORS,
    'STATE_MISMATCH',
    'CODE_REJECTED',
    'PROVIDER_DENIED',
    'INVALID_ID_TOKEN',
    'IDENTITY_MISMATCH',
    'ACCOUNT_DISABLED',
    'EMAIL_BELONGS_TO_ANOTHER_ACCOUNT',
    'IDENTITY_LINKED_ELSEWHERE',
    'PROVIDER_ALREADY_LINKED',
    'IDENTITY_TAKEN',
    'SIGN_IN_CHANGED',
    'SECOND_FACTOR_REQUIRED',
  )
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
        // With two-step sign-in on, a provider alone does not confirm: the code must come too,
        // which POST /auth/reauthenticate takes (the page's "Confirm it's you" form).
        if (current!.user.twoStep?.enabled === true) {
          throw secondFactorRequiredError(
            'Your account has two-step sign-in: confirm it is you with your password (if you have one) and a code instead.',
          );
        }
        await this.browserSessions.renew(response, current!, { proof, securityEvent: true });
      } else if (result.action !== 'linked') {
        const outcome = await this.signIn.complete(
          // A sign-in is audited as one; a new account by user.created.
          new SignInRecord(result.user, proof, result.writes, result.action === 'signed-in'),
          this.browserSessions.signInClient(request),
        );
        if (outcome.status === 'second-factor-required' && !wantsJson(request)) {
          this.browserSessions.setSecondStepCookie(response, outcome);
          response.redirect(302, this.secondStepPage.url(result.returnTo));
          return;
        }
        this.browserSessions.signedInOrSecondStep(response, outcome);
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
