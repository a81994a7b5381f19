import { readFileSync } from 'node:fs';
import { type ApiClientSettings, readApiClientFields } from './api-clients';

/** The apps that sign their users in here, in RFC 7591 client metadata as the operator wrote it. */
export interface OidcClientSettings extends ApiClientSettings {
  client_id: string;
  /** Absent: a public client (a browser or mobile app), which must use PKCE. */
  client_secret?: string;
  token_endpoint_auth_method:
    'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
  /** Empty for a client no browser comes back to (a device-only client, a backend). */
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  client_name?: string;
  grant_types: (typeof GRANT_TYPES)[number][];
  /** Empty for a client no browser comes back to. */
  response_types: ['code'] | [];
  scope: string;
  /** Its authorization requests must be pushed first (RFC 9126 §6); a plain one is refused. */
  require_pushed_authorization_requests?: boolean;
  /** False: the app is another party's, and people consent to what it asks for (app-consent.ts). */
  first_party: boolean;
  /** Where the app takes logout tokens (OpenID Connect Back-Channel Logout 1.0). */
  backchannel_logout_uri?: string;
  /** Its ID tokens carry `sid`, and so do its logout tokens. */
  backchannel_logout_session_required?: boolean;
}

/** The grant a device polls the token endpoint with (RFC 8628 §3.4; device-flow.ts). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** What a client may ask for: OpenID Connect, the email and profile claims, refresh tokens, profile data. */
export const CLIENT_SCOPES = ['openid', 'email', 'profile', 'offline_access', 'data'];
const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  DEVICE_CODE_GRANT,
] as const;
/** The methods of a client with a secret; one with `jwks` uses private_key_jwt (api-clients.ts). */
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'] as const;
const FIELDS = [
  'client_id',
  'client_secret',
  'token_endpoint_auth_method',
  'redirect_uris',
  'post_logout_redirect_uris',
  'client_name',
  'grant_types',
  'scope',
  'require_pushed_authorization_requests',
  'first_party',
  'jwks',
  'dpop_bound_access_tokens',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
];

type Env = Record<string, string | undefined>;

/**
 * The clients from OIDC_CLIENTS (a JSON array) or OIDC_CLIENTS_FILE (a JSON file holding one). Every
 * problem names the entry and its field, so a bad entry stops start-up with a message that says
 * what to fix.
 */
export function readOidcClients(
  env: Env,
  resourceScopes: string[] = [],
): { clients: OidcClientSettings[]; problems: string[] } {
  const inline = env.OIDC_CLIENTS?.trim();
  const file = env.OIDC_CLIENTS_FILE?.trim();
  if (inline && file) {
    return { clients: [], problems: ['Set OIDC_CLIENTS or OIDC_CLIENTS_FILE, not both'] };
  }
  const source = inline ? 'OIDC_CLIENTS' : 'OIDC_CLIENTS_FILE';
  let text = inline;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      return {
        clients: [],
        problems: [`OIDC_CLIENTS_FILE: cannot read ${file} (${String(error)})`],
      };
    }
  }
  if (!text) return { clients: [], problems: [] };
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    return { clients: [], problems: [`${source} must be a JSON array of client metadata`] };
  }
  if (!Array.isArray(entries)) {
    return { clients: [], problems: [`${source} must be a JSON array of client metadata`] };
  }
  const problems: string[] = [];
  const clients = entries.flatMap((entry: unknown, index) => {
    const found = readClient(entry, resourceScopes);
    for (const [field, message] of found.problems) {
      problems.push(`${source}[${index}]${field ? `.${field}` : ''}: ${message}`);
    }
    return found.client ? [found.client] : [];
  });
  const ids = clients.map(({ client_id }) => client_id);
  ids.forEach((id, index) => {
    if (ids.indexOf(id) !== index) problems.push(`${source}: client_id "${id}" appears twice`);
  });
  return { clients, problems };
}

type Problem = [field: string | undefined, message: string];

/** One entry, checked field by field: the client, or what is wrong with it. */
function readClient(
  entry: unknown,
  resourceScopes: string[],
): { client?: OidcClientSettings; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (field: string | undefined, message: string) => problems.push([field, message]);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    problem(undefined, 'must be an object of client metadata');
    return { problems };
  }
  const raw = entry as Record<string, unknown>;
  for (const field of Object.keys(raw)) {
    if (!FIELDS.includes(field)) problem(field, `is not supported (use ${FIELDS.join(', ')})`);
  }
  const clientId = raw.client_id;
  if (typeof clientId !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(clientId)) {
    problem('client_id', 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ -');
  }
  const secret = raw.client_secret;
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < 32)) {
    problem(
      'client_secret',
      'must be a string of at least 32 characters (or left out for a public client)',
    );
  }
  const method = raw.token_endpoint_auth_method ?? (secret ? 'client_secret_basic' : 'none');
  if (secret !== undefined && !AUTH_METHODS.includes(method as (typeof AUTH_METHODS)[number])) {
    problem('token_endpoint_auth_method', `must be one of ${AUTH_METHODS.join(', ')}`);
  }
  if (secret === undefined && method !== 'none' && method !== 'private_key_jwt') {
    problem(
      'token_endpoint_auth_method',
      'must be "none" (or left out) for a client without a secret',
    );
  }
  const grants = raw.grant_types ?? ['authorization_code', 'refresh_token'];
  // Only the code flow sends a browser back to the app: a device-only client or a backend has no
  // redirect_uris. Both the code flow and the device flow sign people in (scope openid).
  const codeFlow = !Array.isArray(grants) || grants.includes('authorization_code');
  const signsPeopleIn = codeFlow || (grants as unknown[]).includes(DEVICE_CODE_GRANT);
  const redirects = urls(raw.redirect_uris, 'redirect_uris', problem, codeFlow);
  const logouts = urls(raw.post_logout_redirect_uris, 'post_logout_redirect_uris', problem, false);
  const name = raw.client_name;
  if (name !== undefined && (typeof name !== 'string' || name.length < 1 || name.length > 100)) {
    problem('client_name', 'must be a string of 1-100 characters');
  }
  const peopleGrants = ['authorization_code', DEVICE_CODE_GRANT];
  if (
    !Array.isArray(grants) ||
    ![...peopleGrants, 'client_credentials'].some((grant) => grants.includes(grant)) ||
    (grants.includes('refresh_token') && !peopleGrants.some((grant) => grants.includes(grant))) ||
    grants.some((grant) => !GRANT_TYPES.includes(grant as (typeof GRANT_TYPES)[number]))
  ) {
    problem(
      'grant_types',
      `must list authorization_code or ${DEVICE_CODE_GRANT} (either optionally with refresh_token), client_credentials, or several of them`,
    );
  }
  const scope = raw.scope ?? (signsPeopleIn ? CLIENT_SCOPES.join(' ') : undefined);
  const allowed = [...CLIENT_SCOPES, ...resourceScopes];
  if (
    typeof scope !== 'string' ||
    (signsPeopleIn && !scope.split(' ').includes('openid')) ||
    scope.split(' ').some((value) => !allowed.includes(value))
  ) {
    problem(
      'scope',
      `must be a space-separated list${signsPeopleIn ? ' including openid' : ''}, from ${CLIENT_SCOPES.join(' ')} and OIDC_RESOURCES' scopes`,
    );
  }
  const pushedRequests = readPushedRequestsSetting(raw, problem);
  const firstParty = readFirstParty(raw.first_party, problem);
  const api = readApiClientFields(raw, method, grants, problem);
  const backchannel = readBackchannelLogout(raw, problem);
  if (problems.length > 0) return { problems };
  const client: OidcClientSettings = {
    client_id: clientId as string,
    ...(secret !== undefined && { client_secret: secret as string }),
    token_endpoint_auth_method: method as OidcClientSettings['token_endpoint_auth_method'],
    redirect_uris: redirects,
    post_logout_redirect_uris: logouts,
    ...(name !== undefined && { client_name: name as string }),
    grant_types: grants as OidcClientSettings['grant_types'],
    response_types: codeFlow ? ['code'] : [],
    scope: scope as string,
    ...pushedRequests,
    first_party: firstParty,
    ...api,
    ...backchannel,
  };
  return { client, problems };
}

/** `require_pushed_authorization_requests`: a boolean, false when left out. */
function readPushedRequestsSetting(
  raw: Record<string, unknown>,
  problem: (field: string, message: string) => void,
): Pick<OidcClientSettings, 'require_pushed_authorization_requests'> {
  const required = raw.require_pushed_authorization_requests;
  if (required === undefined) return {};
  if (typeof required !== 'boolean') {
    problem('require_pushed_authorization_requests', 'must be true or false');
    return {};
  }
  return { require_pushed_authorization_requests: required };
}

/**
 * `first_party`: true (the default: the team's own apps, which sign people in without asking), or
 * false for an app of another party, which shows the consent page.
 */
function readFirstParty(
  value: unknown,
  problem: (field: string, message: string) => void,
): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') problem('first_party', 'must be true or false');
  return value !== false;
}

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.2): an absolute http(s) URL
 * without a fragment, which may be on the operator's own network; and whether the app needs `sid`.
 */
function readBackchannelLogout(
  raw: Record<string, unknown>,
  problem: (field: string, message: string) => void,
): Pick<OidcClientSettings, 'backchannel_logout_uri' | 'backchannel_logout_session_required'> {
  const uri = raw.backchannel_logout_uri;
  const sessionRequired = raw.backchannel_logout_session_required;
  if (uri !== undefined && !isWebUrl(uri)) {
    problem('backchannel_logout_uri', 'must be an absolute http(s) URL without a fragment');
  }
  if (sessionRequired !== undefined && typeof sessionRequired !== 'boolean') {
    problem('backchannel_logout_session_required', 'must be true or false');
  }
  if (sessionRequired === true && uri === undefined) {
    problem('backchannel_logout_session_required', 'needs a backchannel_logout_uri');
  }
  return {
    ...(isWebUrl(uri) && { backchannel_logout_uri: uri }),
    ...(typeof sessionRequired === 'boolean' && {
      backchannel_logout_session_required: sessionRequired,
    }),
  };
}

function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const url = new URL(value);
  return ['http:', 'https:'].includes(url.protocol) && !url.hash;
}

/** Absolute http(s) URLs without a fragment. */
function urls(
  value: unknown,
  field: string,
  problem: (field: string, message: string) => void,
  required: boolean,
): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || (required && value.length === 0)) {
    problem(field, `must be ${required ? 'a non-empty' : 'an'} array of absolute URLs`);
    return [];
  }
  value.forEach((item: unknown, index) => {
    let url: URL | undefined;
    try {
      url = typeof item === 'string' ? new URL(item) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash) {
      problem(`${field}[${index}]`, 'must be an absolute http(s) URL without a fragment');
    }
  });
  return value as string[];
}
