import type { Strategy } from 'passport';
import { ProviderDefinition, ProviderIdentity } from './provider-definition';

type Verify<Profile> = (
  accessToken: string,
  refreshToken: string,
  profile: Profile,
  done: (error: null, identity: ProviderIdentity) => void,
) => void;

/**
 * A provider on a passport-oauth2 strategy (Google, GitHub, Facebook): its own options, plus what
 * every one of them gets here: the callback URL, the MongoDB state store, state and PKCE. Provider
 * tokens go no further than this: only the identity mapped from the profile is kept.
 */
export function oauth2Provider<Profile>(definition: {
  key: string;
  name: string;
  options: Record<string, unknown>;
  strategy: (options: never, verify: Verify<Profile>) => Strategy;
  identity: (profile: Profile) => ProviderIdentity;
}): ProviderDefinition {
  const { key, name, options, strategy, identity } = definition;
  return {
    key,
    name,
    createStrategy: ({ callbackURL, oauth2Store }) =>
      Promise.resolve(
        strategy(
          { ...options, callbackURL, store: oauth2Store, state: true, pkce: true } as never,
          (_access, _refresh, profile, done) => done(null, identity(profile)),
        ),
      ),
  };
}
