import { Strategy } from 'passport-github2';
import { AppConfig } from '../../config/app-config';
import { oauth2Provider } from './oauth2-provider';
import { ProviderDefinition, ProviderIdentity, trimmed } from './provider-definition';

interface GitHubProfile {
  id: string;
  username?: string;
  displayName?: string;
  /** With `allRawEmails`, GitHub's /user/emails list as is (email renamed to value). */
  emails?: Array<{ value?: unknown; primary?: unknown; verified?: unknown }>;
}

/**
 * GitHub OAuth apps. The email comes from /user/emails, and only a verified primary one:
 * passport-github2 alone would take the primary address whether verified or not.
 */
export function githubProvider(config: AppConfig): ProviderDefinition {
  return oauth2Provider({
    key: 'github',
    name: 'GitHub',
    options: {
      clientID: config.GITHUB_CLIENT_ID,
      clientSecret: config.GITHUB_CLIENT_SECRET,
      authorizationURL: config.GITHUB_AUTHORIZATION_URL,
      tokenURL: config.GITHUB_TOKEN_URL,
      userProfileURL: config.GITHUB_USER_URL,
      userEmailURL: config.GITHUB_EMAILS_URL,
      allRawEmails: true,
      scope: ['read:user', 'user:email'],
    },
    strategy: (options, verify) => new Strategy(options, verify),
    identity: githubIdentity,
  });
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
