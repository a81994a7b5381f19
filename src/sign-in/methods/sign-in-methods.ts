import mongoose, { QueryFilter } from 'mongoose';
import type { User } from '../../users/schemas/user.schema';
import { identityMethod } from './identities/identity.method';
import { passkeyMethod } from './passkeys/passkey.method';
import { passwordMethod } from './password/password.method';
import type { SignInMethod } from './sign-in-method';

/**
 * Every way into an account, by the key sessions and events record. Adding one is its
 * folder and a line here; the compiler then asks for it wherever a method is handled.
 */
export const SIGN_IN_METHODS = registry({
  password: passwordMethod,
  provider: identityMethod,
  passkey: passkeyMethod,
});

/** Checks that each method is registered under its own key. */
function registry<
  const Methods extends { [Key in keyof Methods]: SignInMethod<Key & string, never> },
>(methods: Methods): Methods {
  return methods;
}

type Methods = typeof SIGN_IN_METHODS;
export type SignInMethodKey = keyof Methods;
export const SIGN_IN_METHOD_KEYS = Object.keys(SIGN_IN_METHODS) as SignInMethodKey[];

type InstanceOf<Key extends SignInMethodKey> =
  Methods[Key] extends SignInMethod<Key, infer Instance> ? Instance : never;

/**
 * One way into an account: `{ method: 'password' }`, `{ method: 'provider', provider: 'google' }`,
 * `{ method: 'passkey', id }`.
 */
export type WayIn = {
  [Key in SignInMethodKey]: { method: Key } & InstanceOf<Key>;
}[SignInMethodKey];

/** The registry's entry for `wayIn`, typed for it. */
function methodOf(wayIn: WayIn): SignInMethod<SignInMethodKey, WayIn> {
  // Each entry takes its own instance, and `wayIn` is one of its method's.
  return SIGN_IN_METHODS[wayIn.method] as SignInMethod<SignInMethodKey, WayIn>;
}

/** The `method` label of `sign_ins_total` for a sign-in with `wayIn`. */
export function metricsLabelOf(wayIn: WayIn): string {
  return methodOf(wayIn).metricsLabel(wayIn);
}

/** The never-lock-out rule: whatever is removed, an account keeps at least one way to sign in. */
export class SignInMethods {
  /** `enabledProviderKeys`: the providers switched on; an identity of another signs nobody in. */
  constructor(private readonly enabledProviderKeys: readonly string[]) {}

  /** The filter of the removal's conditional update: accounts that can still sign in without it. */
  keepsAWayToSignIn(removing: WayIn): QueryFilter<User> {
    const alternatives = this.methods(removing)
      .map(({ method, except }) => method.keepsFilter(this.enabledProviderKeys, except))
      .filter((filter): filter is QueryFilter<User> => filter !== undefined);
    // No alternative at all: match nothing (MongoDB refuses an empty $or).
    return alternatives.length > 0
      ? { $or: alternatives }
      : { _id: mongoose.trusted({ $exists: false }) };
  }

  /** The same rule, for an account already read. */
  canSignInWithout(user: User, removing: WayIn): boolean {
    return this.methods(removing).some(({ method, except }) =>
      method.keeps(user, this.enabledProviderKeys, except),
    );
  }

  /** Every method, each with the way in it must not count: `removing`, when it is of its kind. */
  private methods(removing: WayIn) {
    return SIGN_IN_METHOD_KEYS.map((key) => ({
      method: SIGN_IN_METHODS[key] as SignInMethod<SignInMethodKey, WayIn>,
      except: key === removing.method ? removing : undefined,
    }));
  }
}
