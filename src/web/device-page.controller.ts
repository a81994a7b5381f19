import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AppError } from '../platform/http/app-error';
import { Public } from '../platform/http/public.decorator';
import { MongoThrottlerStorage } from '../platform/rate-limits/mongo-throttler.storage';
import type { Auth } from '../sign-in/authenticated-request';
import { BrowserSessions } from '../sign-in/sessions/browser-sessions';
import { SecondStepPage } from '../sign-in/two-step/second-step-page';
import { SecondStepSignIn } from '../sign-in/two-step/second-step-sign-in';
import type { StepUp } from '../openid/authentication-context';
import { DEVICE_PAGE_PATH } from '../openid/device-flow';
import type { DeviceRequestProblem, DeviceRequestView } from '../openid/device-requests';
import { OidcProvider } from '../openid/oidc-provider.service';
import { RequireFormToken } from './csrf.guard';
import { scopeWords } from './app-access-words';
import { formField } from './forms';
import { PageErrorFilter } from './page-error.filter';
import { PagesService } from './pages.service';

/**
 * How many user codes may be entered (each entry and each decision looks one up), per session and
 * per client address, in a window: far more than a person approving their devices needs, far too
 * few to guess one of the 20^8 codes alive for ten minutes.
 */
export const DEVICE_CODE_LIMITS = { perSession: 10, perAddress: 30, windowMs: 15 * 60_000 };

const PROBLEM_WORDS: Record<DeviceRequestProblem, string> = {
  unknown: 'That code is not right. Check the code on your device and try again.',
  expired: 'That code has expired. Start again on your device to get a new one.',
  used: 'That code was already used. Start again on your device to get a new one.',
};

/**
 * The device flow's page (RFC 8628): a person signed in here enters the code their CLI or TV
 * shows (or follows its link, which fills it in), sees which app asks and for what, and approves
 * or denies. The decision goes through OidcProvider (device-requests.ts), which the device's
 * polling then hears. Not signed in, the person signs in first (any way in) and comes back.
 */
@ApiExcludeController()
@Public({ readsSession: true })
@UseFilters(PageErrorFilter)
@Controller(DEVICE_PAGE_PATH.slice(1))
export class DevicePageController {
  constructor(
    private readonly pages: PagesService,
    private readonly oidc: OidcProvider,
    private readonly limits: MongoThrottlerStorage,
    private readonly secondStep: SecondStepSignIn,
    private readonly secondStepPage: SecondStepPage,
    private readonly sessions: BrowserSessions,
  ) {}

  @Get()
  async show(@Req() request: Request, @Res() response: Response): Promise<void> {
    const userCode = typeof request.query.user_code === 'string' ? request.query.user_code : '';
    if (!(await this.signedIn(request, response, userCode))) return;
    await this.render(request, response, { step: 'enter', userCode: userCode.slice(0, 32) });
  }

  @Post()
  @RequireFormToken()
  async submit(@Req() request: Request, @Res() response: Response): Promise<void> {
    const userCode = formField(request.body, 'user_code').slice(0, 32);
    const auth = await this.signedIn(request, response, userCode);
    if (!auth) return;
    if (userCode.trim() === '') {
      return this.render(
        request,
        response,
        { step: 'enter', userCode, error: 'Please enter the code your device shows.' },
        400,
      );
    }
    const wait = await this.overLimit(request, auth);
    if (wait !== undefined) {
      response.setHeader('Retry-After', String(wait));
      const minutes = Math.max(1, Math.ceil(wait / 60));
      return this.render(
        request,
        response,
        {
          step: 'enter',
          userCode,
          error: `Too many codes entered. Please try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        },
        429,
      );
    }
    const decision = formField(request.body, 'decision');
    const requests = this.oidc.deviceRequests;
    const outcome =
      decision === 'approve' || decision === 'deny'
        ? await requests.decide(userCode, auth, decision === 'approve')
        : await requests.find(userCode, auth);
    if ('stepUpFirst' in outcome) return this.stepUp(response, auth, outcome.stepUpFirst);
    if ('problem' in outcome) {
      const status = outcome.problem === 'unknown' ? 400 : 410;
      return this.render(
        request,
        response,
        { step: 'enter', userCode, error: PROBLEM_WORDS[outcome.problem] },
        status,
      );
    }
    if (decision === 'approve' || decision === 'deny') {
      return this.render(request, response, {
        step: decision === 'approve' ? 'approved' : 'denied',
        ...view(outcome.found),
      });
    }
    await this.render(request, response, { step: 'confirm', ...view(outcome.found) });
  }

  /**
   * The device asks for two factors and the person signed in with one: off to give the second,
   * as an app's sign-in does (two-step sign-in's code, or the sign-in page for a passkey), and
   * back here with the code filled in, to approve with a session of two (DeviceRequests.decide).
   */
  private async stepUp(
    response: Response,
    auth: Auth,
    { userCode, stepUp }: DeviceRequestView & { stepUp: StepUp },
  ): Promise<void> {
    const back = `${DEVICE_PAGE_PATH}?${new URLSearchParams({ user_code: userCode }).toString()}`;
    if (stepUp === 'second-factor') {
      this.sessions.setSecondStepCookie(response, await this.secondStep.stepUp(auth));
      return this.pages.redirectTo(response, this.secondStepPage.url(back));
    }
    const query = new URLSearchParams({ returnTo: back, notice: 'two-factors-asked' });
    this.pages.redirect(response, `/login?${query.toString()}`);
  }

  /** The person signed in here; otherwise off to /login, coming back here with the code. */
  private async signedIn(
    request: Request,
    response: Response,
    userCode: string,
  ): Promise<Auth | undefined> {
    if (!this.oidc.enabled) throw new AppError('NOT_FOUND', 'There is nothing here.');
    const auth = await this.pages.current(request);
    if (auth) return auth;
    const back = userCode
      ? `${DEVICE_PAGE_PATH}?${new URLSearchParams({ user_code: userCode }).toString()}`
      : DEVICE_PAGE_PATH;
    this.pages.redirect(response, `/login?${new URLSearchParams({ returnTo: back }).toString()}`);
    return undefined;
  }

  /**
   * Counts this entry for the session and for the client's address, before the code is looked up
   * (one atomic update each, MongoThrottlerStorage): the seconds to wait when either is over.
   */
  private async overLimit(request: Request, auth: Auth): Promise<number | undefined> {
    const { perSession, perAddress, windowMs } = DEVICE_CODE_LIMITS;
    const counts = await Promise.all([
      this.limits.increment(`session:${auth.session._id}`, windowMs, perSession, 0, 'device-codes'),
      this.limits.increment(`address:${request.ip ?? ''}`, windowMs, perAddress, 0, 'device-codes'),
    ]);
    const blocked = counts.filter(({ isBlocked }) => isBlocked);
    if (blocked.length === 0) return undefined;
    return Math.max(...blocked.map(({ timeToBlockExpire }) => timeToBlockExpire));
  }

  private render(
    request: Request,
    response: Response,
    model: Record<string, unknown>,
    status = 200,
  ): Promise<void> {
    return this.pages.render(
      request,
      response,
      'device',
      { title: 'Connect a device', ...model },
      status,
    );
  }
}

/** A request as the page shows it: the app, and what it asks for in words. */
function view(found: DeviceRequestView) {
  return {
    userCode: found.userCode,
    appName: found.appName,
    scopes: found.scopes.map((scope) => ({ scope, words: scopeWords(scope) })),
    apis: found.apis.map(({ indicator, scopes }) => ({ indicator, scopes: scopes.join(', ') })),
    stepUp: found.stepUp,
  };
}
