import type { QueryFilter } from 'mongoose';
import type { User } from '../../users/schemas/user.schema';

/** The providers switched on here, by key and name. */
export type ProviderNames = ReadonlyArray<{ key: string; name: string }>;

/** What a session records of its sign-in, beyond the method, that the methods' `amr` reads. */
export interface SignedIn {
  /** For a passkey: whether it was synced (backed up) when it signed in; unknown on older sessions. */
  passkeyBackedUp?: boolean;
}

/**
 * One kind of way into an account (after Kratos's credential counters): the password, an identity
 * of a provider, a passkey. `Instance` tells one way in of the kind from another on an
 * account (an identity: its provider); a kind an account holds at most once has none.
 *
 * Whether an account keeps one is said twice, and the two must agree (never-lock-out.medium-spec):
 * as a MongoDB filter, so that removing a way in is one atomic conditional update, and as a
 * predicate on an account already read, to show beforehand what may go. Both are told the
 * providers switched on (`enabled`, their keys): an identity of another provider signs nobody in.
 */
export interface SignInMethod<Key extends string, Instance extends object> {
  /** What sessions (`method`) and audit events (`details.method`) record for a sign-in with it. */
  readonly key: Key;
  /**
   * Its `amr` values (RFC 8176) in what the apps are told of a sign-in with it, from what the
   * session recorded of that sign-in (a passkey: whether it was synced).
   */
  amr(signedIn: SignedIn): readonly string[];
  /**
   * Whether a proof with it is two factors by itself (a passkey: held, and unlocked by the
   * person's PIN or biometrics), so that two-step sign-in asks for no code after it.
   */
  readonly twoFactorsAlone: boolean;
  /** The `method` label of `sign_ins_total` for a sign-in with `instance`. */
  metricsLabel(instance: Instance): string;
  /** How the pages name `instance`. */
  label(instance: Instance, providers: ProviderNames): string;
  /** Whether `user` keeps a way in of this kind that signs in, other than `except`. */
  keeps(user: User, enabled: readonly string[], except?: Instance): boolean;
  /** The same as a filter on `users`; undefined when no account can keep one. */
  keepsFilter(enabled: readonly string[], except?: Instance): QueryFilter<User> | undefined;
}
