import mongoose from 'mongoose';
import type { SignInMethod } from '../sign-in-method';

/** An account holds one identity per provider at most: the provider tells them apart. */
export interface IdentityInstance {
  provider: string;
}

/**
 * The identities linked to an account, one way in each. Its key is `provider`, the value sessions
 * and audit events have always recorded for a sign-in through one. An identity counts while its
 * provider is enabled: a switched-off provider signs nobody in.
 */
export const identityMethod = {
  key: 'provider',
  amr: () => ['fed'],
  twoFactorsAlone: false,
  metricsLabel: ({ provider }) => provider,
  label: ({ provider }, providers) =>
    providers.find(({ key }) => key === provider)?.name ?? provider,
  keeps: (user, enabled, except) =>
    (user.identities ?? []).some(
      ({ provider }) => enabled.includes(provider) && provider !== except?.provider,
    ),
  keepsFilter: (enabled, except) => {
    const usable = enabled.filter((key) => key !== except?.provider);
    return usable.length === 0
      ? undefined
      : { identities: mongoose.trusted({ $elemMatch: { provider: { $in: usable } } }) };
  },
} as const satisfies SignInMethod<'provider', IdentityInstance>;
