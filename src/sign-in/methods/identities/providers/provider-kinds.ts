import { facebookProvider } from './facebook.provider';
import { githubProvider } from './github.provider';
import { googleProvider } from './google.provider';
import { OidcSettings, oidcProvider } from './oidc.provider';
import type { BuiltInProviderKind, BuiltInSettings, ClientContext } from './provider-kind';
import type { ProviderClient } from './provider-client';

/**
 * The built-in provider kinds, one line each. Adding one is a new descriptor file and a line here;
 * its key, name, variables, endpoints and CSP origins all come from the descriptor.
 */
export const BUILT_IN_PROVIDERS = {
  google: googleProvider,
  github: githubProvider,
  facebook: facebookProvider,
} as const;

export type BuiltInKey = keyof typeof BUILT_IN_PROVIDERS;

/** An enabled provider, as the configuration describes it. */
export type ProviderSettings =
  (BuiltInSettings & { kind: BuiltInKey }) | (OidcSettings & { kind: 'oidc' });

export function createProviderClient(
  settings: ProviderSettings,
  context: ClientContext,
): ProviderClient {
  return settings.kind === 'oidc'
    ? oidcProvider.createClient(settings, context)
    : builtIn(settings.kind).createClient(settings, context);
}

export function providerFormOrigins(settings: ProviderSettings): string[] {
  return settings.kind === 'oidc'
    ? oidcProvider.formOrigins(settings)
    : builtIn(settings.kind).formOrigins(settings);
}

function builtIn(key: BuiltInKey): BuiltInProviderKind {
  return BUILT_IN_PROVIDERS[key];
}
