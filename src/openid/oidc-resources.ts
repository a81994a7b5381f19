import { CLIENT_SCOPES } from './oidc-clients';

/**
 * An API that accepts this provider's access tokens (RFC 8707 resource indicators), as the operator
 * declared it in OIDC_RESOURCES: an app asking with `resource=<indicator>` gets a JWT access token
 * (RFC 9068) whose `aud` is the indicator, with the scopes of `scopes` it may ask for.
 */
export interface OidcResource {
  indicator: string;
  scopes: string[];
  accessTokenTtlSeconds: number;
}

/** How long an API's access token lives when its entry does not say (seconds). */
export const DEFAULT_RESOURCE_TOKEN_TTL_SECONDS = 600;
/** The bounds of accessTokenTtlSeconds: a minute, a day. */
const TTL_RANGE = [60, 86400] as const;
const FIELDS = ['indicator', 'scopes', 'accessTokenTtlSeconds'];
/** A scope-token of RFC 6749 §3.3 (no spaces, quotes or backslashes). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

type Env = Record<string, string | undefined>;

/**
 * The APIs from OIDC_RESOURCES (a JSON array). Every problem names the entry and its field
 * (`OIDC_RESOURCES[0].indicator: …`), so a bad entry stops start-up saying what to fix.
 */
export function readOidcResources(env: Env): { resources: OidcResource[]; problems: string[] } {
  const text = env.OIDC_RESOURCES?.trim();
  if (!text) return { resources: [], problems: [] };
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    entries = undefined;
  }
  if (!Array.isArray(entries)) {
    return { resources: [], problems: ['OIDC_RESOURCES must be a JSON array of resources'] };
  }
  const problems: string[] = [];
  const resources = entries.flatMap((entry: unknown, index) => {
    const found = readResource(entry);
    for (const [field, message] of found.problems) {
      problems.push(`OIDC_RESOURCES[${index}]${field ? `.${field}` : ''}: ${message}`);
    }
    return found.resource ? [found.resource] : [];
  });
  resources.forEach(({ indicator }, index) => {
    if (resources.findIndex((other) => other.indicator === indicator) !== index) {
      problems.push(`OIDC_RESOURCES[${index}].indicator: "${indicator}" appears twice`);
    }
  });
  return { resources, problems };
}

type Problem = [field: string | undefined, message: string];

function readResource(entry: unknown): { resource?: OidcResource; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (field: string | undefined, message: string) => problems.push([field, message]);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problem(undefined, 'must be an object with indicator, scopes and accessTokenTtlSeconds');
    return { problems };
  }
  const raw = entry as Record<string, unknown>;
  for (const field of Object.keys(raw)) {
    if (!FIELDS.includes(field)) problem(field, `is not supported (use ${FIELDS.join(', ')})`);
  }
  const indicator = raw.indicator;
  // As the provider judges a `resource` parameter (RFC 8707 §2): absolute, without a fragment.
  if (typeof indicator !== 'string' || !URL.canParse(indicator) || indicator.includes('#')) {
    problem(
      'indicator',
      'must be an absolute URI without a fragment (e.g. https://api.example.com)',
    );
  }
  const scopes = raw.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0) {
    problem('scopes', 'must be a non-empty array of scope names');
  } else {
    scopes.forEach((scope: unknown, index) => {
      if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
        problem(`scopes[${index}]`, 'must be a scope name: 1-100 characters, no spaces or quotes');
      } else if (CLIENT_SCOPES.includes(scope)) {
        problem(`scopes[${index}]`, `"${scope}" is an OpenID Connect scope of this provider`);
      } else if (scopes.indexOf(scope) !== index) {
        problem(`scopes[${index}]`, `"${scope}" appears twice`);
      }
    });
  }
  const ttl = raw.accessTokenTtlSeconds ?? DEFAULT_RESOURCE_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || (ttl as number) < TTL_RANGE[0] || (ttl as number) > TTL_RANGE[1]) {
    problem(
      'accessTokenTtlSeconds',
      `must be a whole number of seconds from ${TTL_RANGE[0]} to ${TTL_RANGE[1]}`,
    );
  }
  if (problems.length > 0) return { problems };
  return {
    resource: {
      indicator: indicator as string,
      scopes: scopes as string[],
      accessTokenTtlSeconds: ttl as number,
    },
    problems,
  };
}
