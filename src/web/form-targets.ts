import { AppConfig } from '../config/app-config';

/**
 * Origins the settings page's "Connect" forms end up at after their redirect: each enabled
 * provider's authorization server. For OIDC issuers that is taken to be the issuer's origin.
 */
export function providerFormTargets(config: AppConfig): string[] {
  const urls = [
    config.GOOGLE_CLIENT_ID ? config.GOOGLE_AUTHORIZATION_URL : undefined,
    config.GITHUB_CLIENT_ID ? config.GITHUB_AUTHORIZATION_URL : undefined,
    config.FACEBOOK_CLIENT_ID ? config.FACEBOOK_AUTHORIZATION_URL : undefined,
    ...config.oidcProviders.map(({ issuer }) => issuer),
  ];
  return [
    ...new Set(urls.filter((url): url is string => Boolean(url)).map((url) => new URL(url).origin)),
  ];
}
