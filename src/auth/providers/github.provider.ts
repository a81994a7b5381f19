import { Strategy } from 'passport-github2';
import { AppConfig } from '../../config/app-config';
import { ProviderDefinition, ProviderIdentity, trimmed } from './provider-definition';

interface GitHubProfile {
  id: string;
  username?: string;
  displayName?: string;
  /** With `allRawEmails`, GitHub's /user/emails list as is (email renamed to value). */
  emails?: Array<{ value?: unknown; primary?: unknown; verified?: unknown }>;
}

/** GitHub OAuth apps, with PKCE; the email comes from /user/emails, and only a verified one. */
export function githubProvider(config: AppConfig): ProviderDefinition {
  const clientID = config.GITHUB_CLIENT_ID!;
  const clientSecret = config.GITHUB_CLIENT_SECRET!;
  return {
    key: 'github',
    name: 'GitHub',
    createStrategy: ({ callbackURL, oauth2Store }) =>
      Promise.resolve(
        new Strategy(
          {
            clientID,
            clientSecret,
            callbackURL,
            authorizationURL: config.GITHUB_AUTHORIZATION_URL,
            tokenURL: config.GITHUB_TOKEN_URL,
            userProfileURL: config.GITHUB_USER_URL,
            userEmailURL: config.GITHUB_EMAILS_URL,
            allRawEmails: true,
            scope: ['read:user', 'user:email'],
            store: oauth2Store,
            state: true,
            pkce: true,
          } as never,
          (
            _accessToken: string,
            _refreshToken: string,
            profile: GitHubProfile,
            done: (e: null, i: ProviderIdentity) => void,
          ) => done(null, githubIdentity(profile)),
        ),
      ),
  };
}

export function githubIdentity(profile: GitHubProfile): ProviderIdentity {
  const primary = profile.emails?.find(
    (email) => email.primary === true && email.verified === true,
  );
  return {
    provider: 'github',
    subject: String(profile.id),
    verifiedEmail: trimmed(primary?.value),
    name: trimmed(profile.displayName),
    handle: trimmed(profile.username),
  };
}
