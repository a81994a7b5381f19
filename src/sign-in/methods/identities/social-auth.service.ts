import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Auth } from '../../authenticated-request';
import { AppError } from '../../../platform/http/app-error';
import { AppConfig } from '../../../platform/config/app-config';
import { SignInMetrics } from '../../../platform/metrics/sign-in-metrics';
import { metricsLabelOf } from '../sign-in-methods';
import { ProviderClients } from './provider-clients';
import { resolveReturnTo } from './return-to';
import { FlowPurpose, SignInFlow } from './sign-in-flow.schema';
import { SignInFlows } from './sign-in-flows';
import { SocialOutcome, SocialSignInService } from './social-sign-in.service';

/** What starting a provider round trip needs: why, where to land, and who is signed in. */
export interface FlowStart {
  purpose: FlowPurpose;
  /** A requested returnTo; anything not allowed falls back to the purpose's default page. */
  returnTo?: unknown;
  /** The signed-in account and session, for link and reauthenticate. */
  auth?: Auth;
  /** The secret of the browser's flow cookie. */
  browserSecret: string;
}

/** The provider's answer on the callback, as plain values. */
export interface ProviderAnswer {
  code?: unknown;
  error?: unknown;
}

/** Where each kind of flow lands by default: a path on this service. */
const LANDING: Record<FlowPurpose, string> = {
  'sign-in': '/',
  link: '/settings?notice=provider-linked',
  reauthenticate: '/settings?notice=reauthenticated',
};

/** The provider round trip: start it, and finish it into a sign-in, a new account, a link or a re-authentication. */
@Injectable()
export class SocialAuthService {
  constructor(
    private readonly providers: ProviderClients,
    private readonly flows: SignInFlows,
    private readonly signIn: SocialSignInService,
    private readonly config: AppConfig,
    private readonly signIns: SignInMetrics,
  ) {}

  /** The provider's authorization URL, for a flow stored for this browser. */
  async start(key: string, start: FlowStart): Promise<string> {
    const provider = this.providers.get(key);
    if (start.purpose !== 'sign-in' && !start.auth) {
      throw new AppError('UNAUTHENTICATED', 'Sign in first.');
    }
    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const { url, codeVerifier } = await provider.client.authorizationUrl({
      state,
      nonce,
      reauthenticate: start.purpose === 'reauthenticate',
    });
    await this.flows.create(
      {
        _id: state,
        provider: key,
        purpose: start.purpose,
        userId: start.auth?.user._id,
        sessionId: start.auth?.session._id,
        codeVerifier,
        nonce,
        returnTo: this.returnTo(start.returnTo, start.purpose),
      },
      start.browserSecret,
    );
    return url;
  }

  /** The flow a callback answers, used up; STATE_MISMATCH when it is not this browser's. */
  async takeFlow(
    key: string,
    state: unknown,
    browserSecret: string | undefined,
  ): Promise<SignInFlow> {
    this.providers.get(key);
    const flow = await this.flows.consume(state, key, browserSecret);
    if (!flow) {
      throw new AppError(
        'STATE_MISMATCH',
        'This sign-in could not be matched to your browser, or it was already used. Please start again.',
      );
    }
    return flow;
  }

  /**
   * Checks the provider's answer and acts on the identity it vouches for. A sign-in flow is counted
   * as a sign-in with its provider (links and re-authentications are not sign-ins).
   */
  finish(flow: SignInFlow, answer: ProviderAnswer, current: Auth | null): Promise<SocialOutcome> {
    const outcome = this.complete(flow, answer, current);
    if (flow.purpose !== 'sign-in') return outcome;
    return this.signIns.track(
      metricsLabelOf({ method: 'provider', provider: flow.provider }),
      outcome,
    );
  }

  private async complete(
    flow: SignInFlow,
    answer: ProviderAnswer,
    current: Auth | null,
  ): Promise<SocialOutcome> {
    const provider = this.providers.get(flow.provider);
    if (answer.error !== undefined) {
      throw new AppError(
        'PROVIDER_DENIED',
        `Signing in with ${provider.name} was cancelled or refused.`,
      );
    }
    if (typeof answer.code !== 'string' || answer.code.length === 0) {
      throw new AppError(
        'STATE_MISMATCH',
        `${provider.name} sent no authorization code. Please start again.`,
      );
    }
    const identity = await provider.client.exchange(answer.code, {
      codeVerifier: flow.codeVerifier,
      nonce: flow.nonce,
      reauthenticate: flow.purpose === 'reauthenticate',
      startedAt: flow.createdAt,
    });
    return this.signIn.complete(provider, identity, flow, current);
  }

  /** Where a failed flow sends a browser: back to settings when it started there, else the sign-in page. */
  failurePage(flow: SignInFlow | undefined, code: string): string {
    const page = flow && flow.purpose !== 'sign-in' ? '/settings' : '/login';
    return `${this.returnTo(page, 'sign-in')}?error=${encodeURIComponent(code)}`;
  }

  private returnTo(requested: unknown, purpose: FlowPurpose): string {
    const { publicUrl, ALLOWED_RETURN_ORIGINS } = this.config;
    return (
      resolveReturnTo(requested, publicUrl, ALLOWED_RETURN_ORIGINS) ??
      resolveReturnTo(LANDING[purpose], publicUrl, [])!
    );
  }
}
