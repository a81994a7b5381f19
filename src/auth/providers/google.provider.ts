import { Profile, Strategy } from 'passport-google-oauth20';
import { AppConfig } from '../../config/app-config';
import { ProviderDefinition, ProviderIdentity, trimmed } from './provider-definition';

/** Google, through its OAuth 2.0 endpoints and OpenID userinfo, with PKCE. */
export function googleProvider(config: AppConfig): ProviderDefinition {
  const clientID = config.GOOGLE_CLIENT_ID!;
  const clientSecret = config.GOOGLE_CLIENT_SECRET!;
  return {
    key: 'google',
    name: 'Google',
    createStrategy: ({ callbackURL, oauth2Store }) =>
      Promise.resolve(
        new Strategy(
          {
            clientID,
            clientSecret,
            callbackURL,
            authorizationURL: config.GOOGLE_AUTHORIZATION_URL,
            tokenURL: config.GOOGLE_TOKEN_URL,
            userProfileURL: config.GOOGLE_USERINFO_URL,
            scope: ['openid', 'email', 'profile'],
            store: oauth2Store as never,
            state: true,
            pkce: true,
          },
          (
            _accessToken: string,
            _refreshToken: string,
            profile: Profile,
            done: (e: null, i: ProviderIdentity) => void,
          ) => done(null, googleIdentity(profile)),
        ),
      ),
  };
}

export function googleIdentity(profile: Profile): ProviderIdentity {
  const json = profile._json as { email?: unknown; email_verified?: unknown };
  return {
    provider: 'google',
    subject: profile.id,
    verifiedEmail: json.email_verified === true ? trimmed(json.email) : undefined,
    name: trimmed(profile.displayName),
  };
}
