import { Profile, Strategy } from 'passport-facebook';
import { AppConfig } from '../../config/app-config';
import { oauth2Provider } from './oauth2-provider';
import { ProviderDefinition, ProviderIdentity, trimmed } from './provider-definition';

/**
 * Facebook Login, with appsecret_proof on Graph calls. Facebook does not say whether an email was
 * verified, so none is asked for: a Facebook sign-in can never claim an existing account's email.
 */
export function facebookProvider(config: AppConfig): ProviderDefinition {
  return oauth2Provider({
    key: 'facebook',
    name: 'Facebook',
    options: {
      clientID: config.FACEBOOK_CLIENT_ID,
      clientSecret: config.FACEBOOK_CLIENT_SECRET,
      authorizationURL: config.FACEBOOK_AUTHORIZATION_URL,
      tokenURL: config.FACEBOOK_TOKEN_URL,
      profileURL: config.FACEBOOK_PROFILE_URL,
      profileFields: ['id', 'displayName'],
      enableProof: true,
      scope: ['public_profile'],
    },
    strategy: (options, verify) => new Strategy(options, verify),
    identity: facebookIdentity,
  });
}

export function facebookIdentity(profile: Profile): ProviderIdentity {
  return { provider: 'facebook', subject: profile.id, name: trimmed(profile.displayName) };
}
