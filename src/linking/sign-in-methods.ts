import mongoose, { QueryFilter } from 'mongoose';
import { User } from '../users/schemas/user.schema';

/**
 * The never-lock-out rule, in one place: an account must keep a way to sign in. After a change it
 * must still have a linked (and enabled) provider, or a password together with an email or username
 * to type. It is written twice on purpose: as a MongoDB filter, so the change is made in one atomic
 * conditional update, and as a predicate, to show beforehand what may be removed.
 */
export type LoginMethod = { provider: string } | { password: true };

const isString = () => mongoose.trusted({ $type: 'string' as const });

function remainingProviders(removing: LoginMethod, enabledKeys: string[]): string[] {
  return 'provider' in removing
    ? enabledKeys.filter((key) => key !== removing.provider)
    : enabledKeys;
}

/** Matches accounts that can still sign in once `removing` is gone. */
export function keepsAWayToSignIn(removing: LoginMethod, enabledKeys: string[]): QueryFilter<User> {
  const alternatives: QueryFilter<User>[] = remainingProviders(removing, enabledKeys).map(
    (key) => ({
      [`providers.${key}`]: isString(),
    }),
  );
  if (!('password' in removing)) {
    alternatives.push({
      passwordHash: isString(),
      $or: [{ email: isString() }, { username: isString() }],
    });
  }
  // No alternative at all: match nothing (MongoDB refuses an empty $or).
  return alternatives.length > 0
    ? { $or: alternatives }
    : { _id: mongoose.trusted({ $exists: false }) };
}

/** The same rule, for an account already read. */
export function canSignInWithout(
  user: User,
  removing: LoginMethod,
  enabledKeys: string[],
): boolean {
  const otherProvider = remainingProviders(removing, enabledKeys).some(
    (key) => typeof user.providers?.[key] === 'string',
  );
  const password =
    !('password' in removing) &&
    typeof user.passwordHash === 'string' &&
    (typeof user.email === 'string' || typeof user.username === 'string');
  return otherProvider || password;
}
