import type { Strategy } from 'passport';

export type StrategyOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: unknown }
  | { kind: 'fail'; challenge: unknown; status?: number }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' };

/** The part of a request a passport OAuth 2.0 strategy reads: the callback's query. */
export interface StrategyRequest {
  query: Record<string, string>;
  body: Record<string, never>;
}

/**
 * Runs one step of a passport strategy and reports what it decided, instead of letting it write a
 * response. This is passport's own contract for strategies (authenticate() answers through
 * redirect, success, fail, error or pass), as passport.authenticate() uses it. A provider that does
 * not answer within `timeoutMs` gives 'timeout', never a hanging request.
 */
export function runStrategy(
  strategy: Strategy,
  request: StrategyRequest,
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
      authenticate(request: StrategyRequest, options: Record<string, unknown>): void;
      redirect(url: string): void;
      success(user: unknown): void;
      fail(challenge: unknown, status?: number): void;
      error(error: unknown): void;
      pass(): void;
    };
    step.redirect = (url) => settle({ kind: 'redirect', url });
    step.success = (user) => settle({ kind: 'success', user });
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
