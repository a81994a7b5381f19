import { applyDecorators } from '@nestjs/common';
import { IsUrl } from 'class-validator';

/** Keys name routes (`/auth/{key}`) and user fields (`providers.{key}`). */
export const OIDC_KEY_PATTERN = /^[a-z][a-z0-9-]{0,29}$/;

/** Keys that are taken by built-in providers or by routes under /auth. */
const RESERVED_KEYS = ['google', 'github', 'facebook', 'register', 'login', 'logout', 'providers'];

export interface OidcProviderSettings {
  key: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export const IsProviderUrl = () =>
  applyDecorators(
    IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }),
  );

/** A provider is switched on by its ID and secret together; one without the other is a mistake. */
export function missingHalfOfCredentials(settings: object): string[] {
  const read = (name: string) => (settings as Record<string, unknown>)[name];
  return ['GOOGLE', 'GITHUB', 'FACEBOOK'].flatMap((provider) => {
    const id = read(`${provider}_CLIENT_ID`);
    const secret = read(`${provider}_CLIENT_SECRET`);
    if (Boolean(id) === Boolean(secret)) return [];
    const missing = id ? `${provider}_CLIENT_SECRET` : `${provider}_CLIENT_ID`;
    return [`${missing} must be set when the other ${provider} credential is (or unset both)`];
  });
}

/** The OIDC_<KEY>_* variables of every key listed in OIDC_PROVIDERS. */
export function readOidcProviders(
  keys: string[],
  env: Record<string, string | undefined>,
): { providers: OidcProviderSettings[]; problems: string[] } {
  const providers: OidcProviderSettings[] = [];
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
    if (issuer && !/^https?:\/\/[^\s/]+/.test(issuer)) {
      problems.push(`${prefix}ISSUER must be the issuer's http(s) URL (got "${issuer}")`);
    }
    if (missing.length === 0) {
      providers.push({
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
