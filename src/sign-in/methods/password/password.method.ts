import mongoose from 'mongoose';
import type { SignInMethod } from '../sign-in-method';

const isString = () => mongoose.trusted({ $type: 'string' as const });

/** An account has one password at most: nothing tells one from another. */
export type PasswordInstance = Record<never, never>;

/** The password. It counts only with something to type beside it: an email or a username. */
export const passwordMethod = {
  key: 'password',
  amr: () => ['pwd'],
  twoFactorsAlone: false,
  metricsLabel: () => 'password',
  label: () => 'Password',
  keeps: (user, _enabled, except) =>
    except === undefined &&
    typeof user.passwordHash === 'string' &&
    (typeof user.email === 'string' || typeof user.username === 'string'),
  keepsFilter: (_enabled, except) =>
    except === undefined
      ? { passwordHash: isString(), $or: [{ email: isString() }, { username: isString() }] }
      : undefined,
} as const satisfies SignInMethod<'password', PasswordInstance>;
