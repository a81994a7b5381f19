import { AppError } from '../../platform/http/app-error';
import type { Model } from 'mongoose';
import type { Migrations } from '../../platform/database/migrations';
import type { SignInFailure } from './sign-in-failure.schema';
import type { UsersRepository } from '../../users/users.repository';
import type { SignInConfig } from '../sign-in-config';
import { AccountAttempts } from './account-attempts';
import { accountKeyOfLogin, accountKeyOfUser } from './account-key';
import type { Admission, SignInFailures } from './sign-in-failures';

const ACCOUNT = accountKeyOfUser('64b000000000000000000001');

/** AccountAttempts over a stand-in for its store; the store's own rules have e2e tests. */
function setup(admission: Admission) {
  const failures = {
    admit: jest.fn().mockResolvedValue(admission),
    forget: jest.fn().mockResolvedValue(undefined),
    release: jest.fn().mockResolvedValue(undefined),
  };
  const config = {
    SIGN_IN_MAX_DELAY_SECONDS: 900,
    SIGN_IN_LOCK_AFTER_FAILURES: 100,
  } as SignInConfig;
  // Counts kept elsewhere than on an account record (as for an account gone meanwhile).
  const users = {
    checkingSignIn: jest.fn().mockResolvedValue(null),
    updateSignInChecks: jest.fn().mockResolvedValue(undefined),
  };
  const attempts = new AccountAttempts(
    failures as unknown as SignInFailures,
    users as unknown as UsersRepository,
    config,
    undefined as unknown as Migrations,
    undefined as unknown as Model<SignInFailure>,
  );
  return { attempts, failures };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('AccountAttempts.check', () => {
  it('refuses an account that must wait, with the wait in Retry-After, without checking', async () => {
    const retryAt = new Date(Date.now() + 3500);
    const { attempts } = setup({ admitted: false, refusal: 'waiting', retryAt });
    const verify = jest.fn();

    const error = await refusal(attempts.check(ACCOUNT, verify));
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(4);
    expect(error.message).toBe('Too many attempts on this account. Please try again in 4 seconds.');
    expect(verify).not.toHaveBeenCalled();
  });

  it('refuses again from memory until the wait ends, asking the store nothing, the wait counting down', async () => {
    const retryAt = new Date(Date.now() + 3500);
    const { attempts, failures } = setup({ admitted: false, refusal: 'waiting', retryAt });
    await refusal(attempts.check(ACCOUNT, jest.fn()));
    const again = await refusal(attempts.check(ACCOUNT, jest.fn()));
    expect(failures.admit).toHaveBeenCalledTimes(1);
    expect(again.code).toBe('TOO_MANY_REQUESTS');
    expect(again.retryAfterSeconds).toBeLessThanOrEqual(4);
    expect(again.retryAfterSeconds).toBeGreaterThanOrEqual(3);
    // A reset on this instance forgets it at once.
    failures.admit.mockResolvedValue({ admitted: true, failures: 1 });
    await attempts.clear(ACCOUNT);
    await expect(attempts.check(ACCOUNT, () => Promise.resolve(true))).resolves.toEqual({
      matches: true,
      locked: false,
    });
    expect(failures.admit).toHaveBeenCalledTimes(2);
  });

  it('refuses a locked account with SIGN_IN_LOCKED, telling the owner to reset the password by email', async () => {
    const { attempts } = setup({ admitted: false, refusal: 'locked', retryAt: null });
    const verify = jest.fn();

    const error = await refusal(attempts.check(ACCOUNT, verify));
    expect(error.code).toBe('SIGN_IN_LOCKED');
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(900);
    expect(error.message).toContain('Reset your password by email');
    expect(verify).not.toHaveBeenCalled();
  });

  it('forgets the failures after a success', async () => {
    const { attempts, failures } = setup({ admitted: true, failures: 7 });
    await expect(attempts.check(ACCOUNT, () => Promise.resolve(true))).resolves.toEqual({
      matches: true,
      locked: false,
    });
    expect(failures.forget).toHaveBeenCalledTimes(1);
    expect(failures.release).not.toHaveBeenCalled();
  });

  it.each([
    [99, false],
    [100, true],
  ])(
    'keeps failure %i counted, and says whether it locked the account (%s)',
    async (count, locked) => {
      const { attempts, failures } = setup({ admitted: true, failures: count });
      await expect(attempts.check(ACCOUNT, () => Promise.resolve(false))).resolves.toEqual({
        matches: false,
        locked,
      });
      expect(failures.forget).not.toHaveBeenCalled();
      expect(failures.release).not.toHaveBeenCalled();
    },
  );

  it('takes a check back when it ends without a verdict (BUSY), and lets the error through', async () => {
    const { attempts, failures } = setup({ admitted: true, failures: 3 });
    const busy = new AppError('BUSY', 'The service is busy; try again in a moment.', undefined, 5);
    await expect(attempts.check(ACCOUNT, () => Promise.reject(busy))).rejects.toBe(busy);
    expect(failures.release).toHaveBeenCalledTimes(1);
  });

  it('counts an account as one, and a login that matches no account as one to forget in minutes', async () => {
    const { attempts, failures } = setup({ admitted: true, failures: 1 });
    await attempts.check(ACCOUNT, () => Promise.resolve(false));
    await attempts.check(accountKeyOfLogin('Nobody@Example.test'), () => Promise.resolve(false));
    expect(failures.admit.mock.calls.map(([, counted]) => counted as unknown)).toEqual([
      'account',
      'unknown-login',
    ]);
  });

  it('verifies a login that matches no account while counting it; a refusal drops the verification if it waits', async () => {
    const retryAt = new Date(Date.now() + 30_000);
    const { attempts } = setup({ admitted: false, refusal: 'waiting', retryAt });
    const signals: AbortSignal[] = [];
    const verify = (_user: unknown, _key: unknown, signal?: AbortSignal) => {
      signals.push(signal!);
      return new Promise<boolean>(() => undefined);
    };
    const error = await refusal(attempts.checkLogin('nobody_here', verify, () => undefined));
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
  });

  it('handles an unknown login’s verification from the start: one failing while it is counted (BUSY) is no unhandled rejection', async () => {
    const { attempts, failures } = setup({ admitted: true, failures: 1 });
    let counted = false;
    let handledBeforeCounted: boolean | undefined;
    // A promise that tells when its first handler was attached.
    class Watched<T> extends Promise<T> {
      override then<A = T, B = never>(
        onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
        onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        handledBeforeCounted ??= !counted;
        return super.then(onFulfilled, onRejected);
      }
    }
    failures.admit.mockImplementation(
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            counted = true;
            resolve({ admitted: true, failures: 1 });
          }, 20),
        ),
    );
    const busy = new AppError('BUSY', 'The service is busy; try again in a moment.', undefined, 5);
    const verify = () => Watched.reject<boolean>(busy);
    await expect(attempts.checkLogin('nobody_there', verify, () => undefined)).rejects.toBe(busy);
    expect(handledBeforeCounted).toBe(true);
    expect(failures.release).toHaveBeenCalledTimes(1);
  });

  it('refuses an account that has had its checks this minute until the minute ends', async () => {
    const retryAt = new Date(Date.now() + 41_200);
    const { attempts } = setup({ admitted: false, refusal: 'minute', retryAt });
    const verify = jest.fn();
    const error = await refusal(attempts.check(ACCOUNT, verify));
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.retryAfterSeconds).toBe(42);
    expect(error.message).toBe(
      'Too many attempts on this account. Please wait a minute and try again.',
    );
    expect(verify).not.toHaveBeenCalled();
  });
});
