import mongoose, { QueryFilter } from 'mongoose';
import { User } from '../../users/schemas/user.schema';

/** A way into an account that can be removed: the password, or the identity of one provider. */
export type SignInMethod = { password: true } | { provider: string };

/**
 * One kind of sign-in method, counting itself (after Kratos's credential counters). Each kind says
 * twice what remains once a method is removed: as a MongoDB filter, so the removal is one atomic
 * conditional update, and as a count on an account already read, to show beforehand what may go.
 */
interface SignInMethodKind {
  /** Matches accounts that keep a method of this kind without `removing`; undefined when none can. */
  remainingFilter(removing: SignInMethod): QueryFilter<User> | undefined;
  /** How many methods of this kind the account keeps without `removing`. */
  remainingCount(user: User, removing: SignInMethod): number;
}

const isString = () => mongoose.trusted({ $type: 'string' as const });

/** A password counts only with something to type beside it: an email or a username. */
const passwordKind: SignInMethodKind = {
  remainingFilter: (removing) =>
    'password' in removing
      ? undefined
      : { passwordHash: isString(), $or: [{ email: isString() }, { username: isString() }] },
  remainingCount: (user, removing) =>
    !('password' in removing) &&
    typeof user.passwordHash === 'string' &&
    (typeof user.email === 'string' || typeof user.username === 'string')
      ? 1
      : 0,
};

/** Identities count while their provider is enabled: a switched-off provider signs nobody in. */
function identityKind(enabledKeys: string[]): SignInMethodKind {
  const usable = (removing: SignInMethod) =>
    enabledKeys.filter((key) => !('provider' in removing) || key !== removing.provider);
  return {
    remainingFilter: (removing) => {
      const keys = usable(removing);
      return keys.length === 0
        ? undefined
        : { identities: mongoose.trusted({ $elemMatch: { provider: { $in: keys } } }) };
    },
    remainingCount: (user, removing) => {
      const keys = usable(removing);
      return (user.identities ?? []).filter(({ provider }) => keys.includes(provider)).length;
    },
  };
}

/** The never-lock-out rule: whatever is removed, an account keeps at least one way to sign in. */
export class SignInMethods {
  private readonly kinds: SignInMethodKind[];

  constructor(enabledProviderKeys: string[]) {
    this.kinds = [passwordKind, identityKind(enabledProviderKeys)];
  }

  /** The filter of the removal's conditional update: accounts that can still sign in without it. */
  keepsAWayToSignIn(removing: SignInMethod): QueryFilter<User> {
    const alternatives = this.kinds
      .map((kind) => kind.remainingFilter(removing))
      .filter((filter): filter is QueryFilter<User> => filter !== undefined);
    // No alternative at all: match nothing (MongoDB refuses an empty $or).
    return alternatives.length > 0
      ? { $or: alternatives }
      : { _id: mongoose.trusted({ $exists: false }) };
  }

  /** The same rule, for an account already read. */
  canSignInWithout(user: User, removing: SignInMethod): boolean {
    return this.kinds.some((kind) => kind.remainingCount(user, removing) > 0);
  }
}
