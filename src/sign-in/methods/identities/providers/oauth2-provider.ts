import type { Strategy } from 'passport';
import type { StateStore } from 'passport-oauth2';
import { passportClient } from './passport-client';
import type { ProviderIdentity } from './provider-identity';
import type { BuiltInProviderKind, BuiltInSettings } from './provider-kind';

/** What every passport-oauth2 strategy gets here: the callback, the flow's state store, and PKCE. */
export interface CommonStrategyOptions {
  clientID: string;
  clientSecret: string;
  callbackURL: string;
  store: StateStore;
  pkce: true;
}

type Verify<Profile> = (
  accessToken: string,
  refreshToken: string,
  profile: Profile,
  done: (error: null, identity: ProviderIdentity) => void,
) => void;

/**
 * A built-in provider on a passport-oauth2 strategy (Google, GitHub, Facebook). Provider tokens go
 * no further than the strategy: only the identity mapped from the profile comes out.
 */
export function oauth2Provider<Endpoint extends string, Profile>(definition: {
  key: string;
  name: string;
  envPrefix: string;
  endpoints: Record<Endpoint | 'AUTHORIZATION_URL', string>;
  /** The strategy, from the common options and this provider's endpoints. */
  strategy(
    common: CommonStrategyOptions,
    endpoints: Record<Endpoint, string>,
    verify: Verify<Profile>,
  ): Strategy;
  identity(profile: Profile): Omit<ProviderIdentity, 'provider'>;
  /** authenticate() options asking the person to prove themselves again, if the provider has any. */
  reauthenticate?: Record<string, unknown>;
}): BuiltInProviderKind<Endpoint | 'AUTHORIZATION_URL'> {
  const { key, name, envPrefix, endpoints, reauthenticate } = definition;
  return {
    key,
    name,
    envPrefix,
    endpoints,
    formOrigins: (settings: BuiltInSettings<Endpoint | 'AUTHORIZATION_URL'>) => [
      new URL(settings.endpoints.AUTHORIZATION_URL).origin,
    ],
    createClient: (settings, { callbackURL, timeoutMs }) =>
      passportClient(
        {
          name: settings.name,
          reauthenticate,
          strategy: (store) =>
            definition.strategy(
              {
                clientID: settings.clientId,
                clientSecret: settings.clientSecret,
                callbackURL,
                store,
                pkce: true,
              },
              settings.endpoints,
              (_access, _refresh, profile, done) =>
                done(null, { provider: settings.key, ...definition.identity(profile) }),
            ),
        },
        timeoutMs,
      ),
  };
}
