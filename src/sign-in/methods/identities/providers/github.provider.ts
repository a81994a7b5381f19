import { Strategy } from 'passport-github2';
import { oauth2Provider } from './oauth2-provider';
import { trimmed } from './provider-identity';

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
export const githubProvider = oauth2Provider({
  key: 'github',
  name: 'GitHub',
  envPrefix: 'GITHUB',
  endpoints: {
    AUTHORIZATION_URL: 'https://github.com/login/oauth/authorize',
    TOKEN_URL: 'https://github.com/login/oauth/access_token',
    USER_URL: 'https://api.github.com/user',
    EMAILS_URL: 'https://api.github.com/user/emails',
  },
  strategy: (common, endpoints, verify) =>
    new Strategy(
      {
        ...common,
        authorizationURL: endpoints.AUTHORIZATION_URL,
        tokenURL: endpoints.TOKEN_URL,
        userProfileURL: endpoints.USER_URL,
        userEmailURL: endpoints.EMAILS_URL,
        allRawEmails: true,
        scope: ['read:user', 'user:email'],
      },
      verify,
    ),
  identity: githubIdentity,
});

export function githubIdentity(profile: GitHubProfile) {
  const primary = profile.emails?.find(
    (email) => email.primary === true && email.verified === true,
  );
  return {
    subject: String(profile.id),
    verifiedEmail: trimmed(primary?.value),
    name: trimmed(profile.displayName),
    handle: trimmed(profile.username),
  };
}
