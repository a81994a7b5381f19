import type { Request } from 'express';
import type { Strategy } from 'passport';

export type StrategyOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: unknown; info: unknown }
  | { kind: 'fail'; challenge: unknown; status?: number }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' };

/**
 * Runs one passport strategy step and reports what it decided, instead of letting it write the
 * response: the caller answers browsers and API clients differently. This is what
 * passport.authenticate() does inside, minus the response handling. A provider that does not
 * answer within `timeoutMs` gives 'timeout', never a hanging request.
 */
export function runStrategy(
  strategy: Strategy,
  request: Request,
  options: Record<string, unknown>,
  timeoutMs: number,
): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    const settle = (outcome: StrategyOutcome) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    const step = Object.create(strategy) as {
      authenticate(request: Request, options: Record<string, unknown>): void;
      redirect(url: string): void;
      success(user: unknown, info: unknown): void;
      fail(challenge: unknown, status?: number): void;
      error(error: unknown): void;
      pass(): void;
    };
    step.redirect = (url) => settle({ kind: 'redirect', url });
    step.success = (user, info) => settle({ kind: 'success', user, info });
    step.fail = (challenge, status) =>
      settle({
        kind: 'fail',
        challenge,
        status: typeof challenge === 'number' ? challenge : status,
      });
    step.error = (error) => settle({ kind: 'error', error });
    step.pass = () => settle({ kind: 'fail', challenge: undefined });
    try {
      step.authenticate(request, options);
    } catch (error) {
      settle({ kind: 'error', error });
    }
  });
}
