import { Profile, Strategy } from 'passport-google-oauth20';
import { AppConfig } from '../../config/app-config';
import { oauth2Provider } from './oauth2-provider';
import { ProviderDefinition, ProviderIdentity, trimmed } from './provider-definition';

/** Google, through its OAuth 2.0 endpoints and OpenID userinfo. */
export function googleProvider(config: AppConfig): ProviderDefinition {
  return oauth2Provider({
    key: 'google',
    name: 'Google',
    options: {
      clientID: config.GOOGLE_CLIENT_ID,
      clientSecret: config.GOOGLE_CLIENT_SECRET,
      authorizationURL: config.GOOGLE_AUTHORIZATION_URL,
      tokenURL: config.GOOGLE_TOKEN_URL,
      userProfileURL: config.GOOGLE_USERINFO_URL,
      scope: ['openid', 'email', 'profile'],
    },
    strategy: (options, verify) => new Strategy(options, verify),
    identity: googleIdentity,
  });
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
