import { Profile, Strategy } from 'passport-facebook';
import { AppConfig } from '../../config/app-config';
import { ProviderDefinition, ProviderIdentity, trimmed } from './provider-definition';

/**
 * Facebook Login, with PKCE and appsecret_proof on Graph calls. Facebook does not say whether the
 * email it returns was verified, so it is never taken as one: it cannot claim an existing account.
 */
export function facebookProvider(config: AppConfig): ProviderDefinition {
  const clientID = config.FACEBOOK_CLIENT_ID!;
  const clientSecret = config.FACEBOOK_CLIENT_SECRET!;
  return {
    key: 'facebook',
    name: 'Facebook',
    createStrategy: ({ callbackURL, oauth2Store }) =>
      Promise.resolve(
        new Strategy(
          {
            clientID,
            clientSecret,
            callbackURL,
            authorizationURL: config.FACEBOOK_AUTHORIZATION_URL,
            tokenURL: config.FACEBOOK_TOKEN_URL,
            profileURL: config.FACEBOOK_PROFILE_URL,
            profileFields: ['id', 'displayName'],
            enableProof: true,
            scope: ['public_profile'],
            store: oauth2Store,
            state: true,
            pkce: true,
          } as never,
          (
            _accessToken: string,
            _refreshToken: string,
            profile: Profile,
            done: (e: null, i: ProviderIdentity) => void,
          ) => done(null, facebookIdentity(profile)),
        ),
      ),
  };
}

export function facebookIdentity(profile: Profile): ProviderIdentity {
  return { provider: 'facebook', subject: profile.id, name: trimmed(profile.displayName) };
}
