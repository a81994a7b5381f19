import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AppError, ErrorCode } from '../http/app-error';

export type SignInOutcome = 'success' | 'failure' | 'refused';

/** The proof given was wrong or not accepted by its provider; any other error is a refusal. */
const FAILURES = new Set<ErrorCode>([
  'INVALID_CREDENTIALS',
  'PROVIDER_DENIED',
  'CODE_REJECTED',
  'INVALID_ID_TOKEN',
  'STATE_MISMATCH',
  'WRONG_CODE',
]);

/**
 * Counts sign-ins by method (`password`, a provider's key, `passkey`, or a second factor: `totp`,
 * `recovery_code`) and outcome: `failure` when the proof
 * was wrong, `refused` when the service would not decide or accept it (limits, lock, busy, a
 * provider outage, an identity or email of another account). Unexpected errors are not counted:
 * they show as 500s in the request metrics.
 */
@Injectable()
export class SignInMetrics {
  private readonly signIns: Counter<'method' | 'outcome'>;

  constructor(registry: Registry) {
    this.signIns = new Counter({
      name: 'sign_ins_total',
      help: 'Completed sign-in attempts, by method (password, provider key, passkey, or the second factor: totp, recovery_code) and outcome.',
      labelNames: ['method', 'outcome'],
      registers: [registry],
    });
  }

  /** Awaits a sign-in and counts its outcome; the result or error passes through unchanged. */
  async track<T>(method: string, signIn: Promise<T>): Promise<T> {
    try {
      const result = await signIn;
      this.signIns.inc({ method, outcome: 'success' });
      return result;
    } catch (error) {
      if (error instanceof AppError) {
        this.signIns.inc({ method, outcome: FAILURES.has(error.code) ? 'failure' : 'refused' });
      }
      throw error;
    }
  }
}
