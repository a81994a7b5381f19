import { Profile, Strategy } from 'passport-facebook';
import { oauth2Provider } from './oauth2-provider';
import { trimmed } from './provider-identity';

/**
 * Facebook Login, with appsecret_proof on Graph calls. Facebook does not say whether an email was
 * verified, so none is asked for: a Facebook sign-in can never claim an existing account's email.
 */
export const facebookProvider = oauth2Provider({
  key: 'facebook',
  name: 'Facebook',
  envPrefix: 'FACEBOOK',
  endpoints: {
    AUTHORIZATION_URL: 'https://www.facebook.com/v23.0/dialog/oauth',
    TOKEN_URL: 'https://graph.facebook.com/v23.0/oauth/access_token',
    PROFILE_URL: 'https://graph.facebook.com/v23.0/me',
  },
  strategy: (common, endpoints, verify) =>
    new Strategy(
      {
        ...common,
        authorizationURL: endpoints.AUTHORIZATION_URL,
        tokenURL: endpoints.TOKEN_URL,
        profileURL: endpoints.PROFILE_URL,
        profileFields: ['id', 'displayName'],
        enableProof: true,
        scope: ['public_profile'],
      },
      verify,
    ),
  identity: (profile: Profile) => ({ subject: profile.id, name: trimmed(profile.displayName) }),
  // https://developers.facebook.com/docs/facebook-login/reauthentication/
  reauthenticate: { authType: 'reauthenticate' },
});
