import type { OpenIdConfig } from '../openid/openid-config';
import { providerFormOrigins } from '../sign-in/methods/identities/providers/provider-kinds';
import type { ProvidersConfig } from '../sign-in/methods/identities/providers/providers-config';

/**
 * Origins the settings page's "Connect" forms end up at after their redirect: each enabled
 * provider's authorization server, as its descriptor says.
 */
export function providerFormTargets({ providers }: ProvidersConfig): string[] {
  return [...new Set(providers.flatMap(providerFormOrigins))];
}

/**
 * Origins a form ends up at when an app asked for it: after /login, the browser goes through the
 * provider's redirects back to the app's registered redirect URI; after confirming an app's
 * sign-out, to its registered post-logout redirect URI.
 */
export function appFormTargets({ oidcClients }: OpenIdConfig): string[] {
  return [
    ...new Set(
      oidcClients.flatMap(({ redirect_uris, post_logout_redirect_uris }) =>
        [...redirect_uris, ...post_logout_redirect_uris].map((uri) => new URL(uri).origin),
      ),
    ),
  ];
}
