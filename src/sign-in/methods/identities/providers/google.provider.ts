import { Profile, Strategy } from 'passport-google-oauth20';
import { oauth2Provider } from './oauth2-provider';
import { trimmed } from './provider-identity';

/** Google, through its OAuth 2.0 endpoints and OpenID userinfo. */
export const googleProvider = oauth2Provider({
  key: 'google',
  name: 'Google',
  envPrefix: 'GOOGLE',
  endpoints: {
    AUTHORIZATION_URL: 'https://accounts.google.com/o/oauth2/v2/auth',
    TOKEN_URL: 'https://oauth2.googleapis.com/token',
    USERINFO_URL: 'https://openidconnect.googleapis.com/v1/userinfo',
  },
  strategy: (common, endpoints, verify) =>
    new Strategy(
      {
        ...common,
        authorizationURL: endpoints.AUTHORIZATION_URL,
        tokenURL: endpoints.TOKEN_URL,
        userProfileURL: endpoints.USERINFO_URL,
        scope: ['openid', 'email', 'profile'],
      },
      verify,
    ),
  identity: googleIdentity,
  // Google has no prompt=login; its account chooser at least makes the person pick the account.
  reauthenticate: { prompt: 'select_account' },
});

export function googleIdentity(profile: Profile) {
  const json = profile._json as { email?: unknown; email_verified?: unknown };
  return {
    subject: profile.id,
    verifiedEmail: json.email_verified === true ? trimmed(json.email) : undefined,
    name: trimmed(profile.displayName),
  };
}
