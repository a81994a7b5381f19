import { AppConfig } from '../../config/app-config';

/** A login provider as people see it: its key (in routes and user records) and its display name. */
export interface ProviderInfo {
  key: string;
  name: string;
}

/** The providers switched on by configuration, in a stable order: built-in ones, then OIDC issuers. */
export function enabledProviders(config: AppConfig): ProviderInfo[] {
  const builtIn: Array<ProviderInfo & { on: boolean }> = [
    { key: 'google', name: 'Google', on: Boolean(config.GOOGLE_CLIENT_ID) },
    { key: 'github', name: 'GitHub', on: Boolean(config.GITHUB_CLIENT_ID) },
    { key: 'facebook', name: 'Facebook', on: Boolean(config.FACEBOOK_CLIENT_ID) },
  ];
  return [
    ...builtIn.filter(({ on }) => on).map(({ key, name }) => ({ key, name })),
    ...config.oidcProviders.map(({ key, name }) => ({ key, name })),
  ];
}
