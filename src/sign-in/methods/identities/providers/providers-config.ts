import { Type, Transform } from 'class-transformer';
import { IsInt, isURL, Matches, Max, Min } from 'class-validator';
import { configArea, Environment, splitList } from '../../../../platform/config/config-area';
import { BUILT_IN_PROVIDERS, BuiltInKey, ProviderSettings } from './provider-kinds';

/** Keys name routes (`/auth/{key}`) and identities. */
export const OIDC_KEY_PATTERN = /^[a-z][a-z0-9-]{0,29}$/;

/** Keys taken by built-in providers or by routes under /auth. */
const RESERVED_KEYS = [
  ...Object.keys(BUILT_IN_PROVIDERS),
  'register',
  'login',
  'logout',
  'providers',
  'reauthenticate',
];

type Env = Environment;

const isHttpUrl = (value: string) =>
  isURL(value, { require_tld: false, protocols: ['http', 'https'], require_protocol: true });

/**
 * The social sign-in providers' settings: GOOGLE_*, GITHUB_*, FACEBOOK_* (see each descriptor in
 * src/sign-in/methods/identities/providers), the OpenID Connect issuers and the calls to them. Beside the providers rather than
 * in src/platform/config, which knows nothing of sign-in.
 */
export class ProvidersConfig {
  /** Keys of the OpenID Connect issuers; each has OIDC_<KEY>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _NAME. */
  @Transform(splitList)
  @Matches(OIDC_KEY_PATTERN, {
    each: true,
    message: 'OIDC_PROVIDERS must be a comma-separated list of keys of a-z, 0-9 and -',
  })
  OIDC_PROVIDERS: string[] = [];

  /** How long a call to a provider (token, profile, discovery) may take before it counts as an outage. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(120)
  PROVIDER_TIMEOUT_SECONDS = 10;

  /** The enabled providers, built-in ones first, then OIDC issuers (see readProviders). */
  providers: ProviderSettings[] = [];
}

export const providersConfig = configArea('providers', ProvidersConfig, (settings, { env }) => {
  const { providers, problems } = readProviders(settings.OIDC_PROVIDERS, env);
  settings.providers = providers;
  return problems;
});

/**
 * Every enabled provider, in a stable order (built-in ones, then OIDC issuers), read from the
 * variables each descriptor names. This is the one place that decides which providers are on.
 */
function readProviders(
  oidcKeys: string[],
  env: Env,
): { providers: ProviderSettings[]; problems: string[] } {
  const builtIn = readBuiltInProviders(env);
  const oidc = readOidcProviders(oidcKeys, env);
  return {
    providers: [...builtIn.providers, ...oidc.providers],
    problems: [...builtIn.problems, ...oidc.problems],
  };
}

/** A built-in provider is switched on by its ID and secret together; one without the other is a mistake. */
function readBuiltInProviders(env: Env) {
  const providers: ProviderSettings[] = [];
  const problems: string[] = [];
  for (const kind of Object.keys(BUILT_IN_PROVIDERS) as BuiltInKey[]) {
    const { key, name, envPrefix, endpoints: defaults } = BUILT_IN_PROVIDERS[kind];
    const value = (suffix: string) => env[`${envPrefix}_${suffix}`]?.trim() || undefined;
    const endpoints: Record<string, string> = {};
    for (const [endpoint, fallback] of Object.entries<string>(defaults)) {
      const url = value(endpoint) ?? fallback;
      if (!isHttpUrl(url))
        problems.push(`${envPrefix}_${endpoint} must be an http(s) URL (got "${url}")`);
      endpoints[endpoint] = url;
    }
    const clientId = value('CLIENT_ID');
    const clientSecret = value('CLIENT_SECRET');
    if (Boolean(clientId) !== Boolean(clientSecret)) {
      const missing = clientId ? `${envPrefix}_CLIENT_SECRET` : `${envPrefix}_CLIENT_ID`;
      problems.push(
        `${missing} must be set when the other ${envPrefix} credential is (or unset both)`,
      );
    }
    if (clientId && clientSecret) {
      providers.push({ kind, key, name, clientId, clientSecret, endpoints });
    }
  }
  return { providers, problems };
}

/** The OIDC_<KEY>_* variables of every key listed in OIDC_PROVIDERS. */
function readOidcProviders(keys: string[], env: Env) {
  const providers: ProviderSettings[] = [];
  const problems: string[] = [];
  for (const key of new Set(keys)) {
    if (!OIDC_KEY_PATTERN.test(key)) continue; // reported by the OIDC_PROVIDERS check
    if (RESERVED_KEYS.includes(key)) {
      problems.push(`OIDC_PROVIDERS: "${key}" is reserved; choose another key`);
      continue;
    }
    const prefix = `OIDC_${key.toUpperCase().replace(/-/g, '_')}_`;
    const value = (name: string) => env[`${prefix}${name}`]?.trim() || undefined;
    const missing = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET'].filter((name) => !value(name));
    problems.push(
      ...missing.map((name) => `${prefix}${name} must be set for OIDC provider "${key}"`),
    );
    const issuer = value('ISSUER');
    if (issuer && !isHttpUrl(issuer)) {
      problems.push(`${prefix}ISSUER must be the issuer's http(s) URL (got "${issuer}")`);
    }
    if (missing.length === 0) {
      providers.push({
        kind: 'oidc',
        key,
        name: value('NAME') ?? key,
        // Kept exactly as given: issuer identifiers are compared character for character.
        issuer: issuer!,
        clientId: value('CLIENT_ID')!,
        clientSecret: value('CLIENT_SECRET')!,
      });
    }
  }
  return { providers, problems };
}
