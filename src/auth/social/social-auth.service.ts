import { Injectable, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { AppError, ErrorCode } from '../../common/app-error';
import { AppConfig } from '../../config/app-config';
import type { Auth } from '../authenticated-request';
import { pkceChallenge } from '../providers/oidc.provider';
import type { ProviderInfo } from '../providers/provider-catalog';
import type { ProviderIdentity } from '../providers/provider-definition';
import { ProviderRegistry } from '../providers/provider-registry';
import { safeReturnTo } from './return-to';
import { runStrategy, StrategyOutcome } from './run-strategy';
import { FlowIntent, FlowRequest, SignInFlows } from './sign-in-flows.service';
import { SocialOutcome, SocialSignInService } from './social-sign-in.service';

/** The provider redirect dance: start it, and finish it into a sign-in, a new account or a link. */
@Injectable()
export class SocialAuthService {
  private readonly logger = new Logger('SocialSignIn');
  private readonly timeoutMs: number;

  constructor(
    private readonly registry: ProviderRegistry,
    private readonly flows: SignInFlows,
    private readonly signIn: SocialSignInService,
    private readonly config: AppConfig,
  ) {
    this.timeoutMs = config.PROVIDER_TIMEOUT_SECONDS * 1000;
  }

  /** Where to send the browser: the provider's authorization page, with state bound to this browser. */
  async start(
    key: string,
    request: Request,
    response: Response,
    current: Auth | null,
  ): Promise<string> {
    const provider = this.registry.get(key);
    const strategy = await this.registry.strategy(key).catch((error: unknown) => {
      throw this.toAppError(provider, { kind: 'error', error });
    });
    this.flows.bindBrowser(request, response);
    const codeVerifier = randomBytes(32).toString('base64url');
    const intent: FlowIntent = {
      returnTo: this.returnTo(
        request.query.returnTo,
        current ? '/settings?notice=provider-linked' : '/',
      ),
      linkUserId: current?.user._id,
      codeVerifier,
    };
    const outcome = await runStrategy(
      strategy,
      request,
      { state: intent, codeChallenge: pkceChallenge(codeVerifier) },
      this.timeoutMs,
    );
    if (outcome.kind !== 'redirect') throw this.toAppError(provider, outcome);
    return outcome.url;
  }

  /** Checks the provider's answer and acts on the identity it vouches for. */
  async finish(
    key: string,
    request: FlowRequest,
    response: Response,
    current: Auth | null,
  ): Promise<SocialOutcome & { returnTo: string }> {
    const provider = this.registry.get(key);
    this.flows.clearBrowser(response);
    const { code, error } = request.query;
    if (typeof code !== 'string' && typeof error !== 'string') {
      throw this.toAppError(provider, { kind: 'fail', challenge: { code: 'STATE_MISMATCH' } });
    }
    const strategy = await this.registry.strategy(key).catch((failure: unknown) => {
      throw this.toAppError(provider, { kind: 'error', error: failure });
    });
    const outcome = await runStrategy(strategy, request, {}, this.timeoutMs);
    if (outcome.kind !== 'success' || !request.signInFlow) throw this.toAppError(provider, outcome);
    const result = await this.signIn.complete(
      provider,
      outcome.user as ProviderIdentity,
      request.signInFlow,
      current,
    );
    return { ...result, returnTo: request.signInFlow.returnTo };
  }

  /** Where a failed flow sends a browser: its settings when linking, else the sign-in page. */
  failurePage(request: FlowRequest, code: string): string {
    const page = request.signInFlow?.linkUserId ? '/settings' : '/login';
    return `${this.returnTo(page, '/')}?error=${encodeURIComponent(code)}`;
  }

  private returnTo(requested: unknown, fallbackPath: string): string {
    const fallback = safeReturnTo(fallbackPath, this.config.publicUrl, [], '/');
    return safeReturnTo(
      requested,
      this.config.publicUrl,
      this.config.ALLOWED_RETURN_ORIGINS,
      fallback,
    );
  }

  /** Every way a provider step can go wrong, as an error the person can act on. */
  private toAppError(provider: ProviderInfo, outcome: StrategyOutcome): AppError {
    const name = provider.name;
    const error = (code: ErrorCode, message: string) => new AppError(code, message);
    switch (outcome.kind) {
      case 'timeout':
        return error(
          'PROVIDER_UNAVAILABLE',
          `${name} did not answer in time. Please try again later.`,
        );
      case 'fail': {
        const challenge = outcome.challenge as { code?: string; message?: string } | undefined;
        if (challenge?.code === 'STATE_MISMATCH') {
          return error(
            'STATE_MISMATCH',
            `This ${name} sign-in could not be matched to your browser, or it was already used. Please start again.`,
          );
        }
        if (outcome.status === 403 && challenge?.message?.startsWith('ID token')) {
          return error(
            'INVALID_ID_TOKEN',
            `${name}'s answer could not be verified, so it was refused.`,
          );
        }
        return error('PROVIDER_DENIED', `Signing in with ${name} was cancelled or refused.`);
      }
      case 'error':
        return this.fromError(provider, outcome.error);
      default:
        return error(
          'PROVIDER_ERROR',
          `${name} answered in an unexpected way. Please try again later.`,
        );
    }
  }

  private fromError(provider: ProviderInfo, failure: unknown): AppError {
    if (failure instanceof AppError) return failure;
    const name = provider.name;
    const details = failure as {
      name?: string;
      code?: string;
      message?: string;
      cause?: { code?: string };
      oauthError?: { statusCode?: number; code?: string };
    };
    const networkCode = details.oauthError?.code ?? details.cause?.code ?? details.code;
    const status = details.oauthError?.statusCode;
    this.logger.warn(
      { provider: provider.key, error: details.name, status, networkCode, reason: details.message },
      'Provider sign-in failed',
    );
    const unreachable = [
      'ECONNREFUSED',
      'ECONNRESET',
      'ENOTFOUND',
      'ETIMEDOUT',
      'EAI_AGAIN',
      'UND_ERR_CONNECT_TIMEOUT',
    ];
    if (
      (networkCode && unreachable.includes(networkCode)) ||
      details.name === 'TimeoutError' ||
      details.name === 'AbortError' ||
      (status !== undefined && status >= 500)
    ) {
      return new AppError(
        'PROVIDER_UNAVAILABLE',
        `${name} is not answering right now. Please try again later.`,
      );
    }
    // A refused token exchange: the code was already used, expired, or not ours (TokenError,
    // FacebookTokenError, a 4xx).
    if (
      details.name?.endsWith('TokenError') ||
      (status !== undefined && status < 500) ||
      details.message === 'Failed to obtain access token'
    ) {
      return new AppError(
        'CODE_REJECTED',
        `${name} did not accept this sign-in (it may have expired or been used already). Please try again.`,
      );
    }
    return new AppError(
      'PROVIDER_ERROR',
      `${name} answered in an unexpected way. Please try again later.`,
    );
  }
}
