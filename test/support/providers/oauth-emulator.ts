/**
 * Local emulators of Google, GitHub and Facebook OAuth 2.0, speaking the wire shapes the real
 * passport strategies send and parse, so end-to-end tests can run the whole redirect dance on
 * 127.0.0.1. One implementation, parameterised by a provider "shape".
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import express, { Request, Response } from 'express';

export type EmulatedProvider = 'google' | 'github' | 'facebook';
export type FailableEndpoint = 'token' | 'profile' | 'emails';
export type FailureMode = 'error' | 'hang';

/** Who signs in at the provider's consent screen. */
export interface EmulatedUser {
  /** Google `sub`, Facebook `id`; for GitHub a numeric string (GitHub ids are numbers). */
  id: string;
  name?: string;
  /** GitHub only. Defaults to a slug of the name or `user<id>`. */
  login?: string;
  /** GitHub: the public profile email (`/user` shows null without it). */
  email?: string;
  /** Google `email_verified` (default true); Facebook hides an unconfirmed email. */
  emailVerified?: boolean;
  /** GitHub `/user/emails`. Defaults to `email` as the one primary, verified address. */
  emails?: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface EmulatorOptions {
  /** The app's public origin; the registered redirect URI is `${publicUrl}/auth/${provider}/callback`. */
  publicUrl?: string;
  /** Replace the registered redirect URIs entirely. */
  redirectUris?: string[];
  /** Facebook: behave like an app with "Require App Secret" on (appsecret_proof mandatory). */
  requireAppSecretProof?: boolean;
}

/** What a protected-resource or token request looked like, for assertions. */
export interface RecordedRequest {
  endpoint: 'token' | 'profile' | 'emails';
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, string>;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  user: EmulatedUser;
  scopes: string[];
  codeChallenge?: string;
  expiresAt: number;
  used: boolean;
  /** Tokens minted from this code, revoked if the code is replayed (RFC 6749 §4.1.2). */
  tokens: string[];
}

interface AccessGrant {
  user: EmulatedUser;
  scopes: string[];
  expiresAt?: number;
}

type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type'
  | 'redirect_uri_mismatch';

interface TokenErrorDetail {
  code: TokenErrorCode;
  description: string;
  /** Facebook's error_subcode, where it has a well-known one. */
  subcode?: number;
}

/** Everything that differs between providers. */
interface ProviderShape {
  provider: EmulatedProvider;
  envPrefix: string;
  paths: { authorize: string; token: string; profile: string; emails?: string };
  /** Env var suffix (after `${envPrefix}_`) for each endpoint URL. */
  envNames: { authorize: string; token: string; profile: string; emails?: string };
  /** Google refuses an authorization request without scope. */
  requireScope: boolean;
  tokenPrefix: string;
  expiresIn?: number;
  /** GitHub removed `?access_token=` in 2021; Google and Facebook still accept it. */
  tokenInQuery: boolean;
  deniedParams: () => Record<string, string>;
  tokenSuccess: (req: Request, res: Response, token: string, grant: AccessGrant) => void;
  tokenError: (req: Request, res: Response, error: TokenErrorDetail) => void;
  unauthorized: (res: Response) => void;
  profile: (req: Request, res: Response, grant: AccessGrant, context: ResourceContext) => void;
  emails?: (req: Request, res: Response, grant: AccessGrant) => void;
  validateUser?: (user: EmulatedUser) => void;
}

interface ResourceContext {
  token: string;
  clientSecret: string;
  requireAppSecretProof: boolean;
}

const CODE_TTL_MS = 60_000;

export class OAuthEmulator {
  readonly provider: EmulatedProvider;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: string[];
  /** The query of every authorization request, in order (state, PKCE challenge, scope...). */
  readonly authorizeRequests: Array<Record<string, string>> = [];
  /** Every token, profile and emails request, in order. */
  readonly requests: RecordedRequest[] = [];

  private user: EmulatedUser | null = null;
  private deny: string | null = null;
  private readonly failures = new Map<FailableEndpoint, FailureMode[]>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly tokens = new Map<string, AccessGrant>();
  private readonly requireAppSecretProof: boolean;
  private server?: Server;
  private baseUrl?: string;

  constructor(
    private readonly shape: ProviderShape,
    options: EmulatorOptions = {},
  ) {
    this.provider = shape.provider;
    this.clientId =
      shape.provider === 'facebook'
        ? // Facebook app ids are numeric.
          String(BigInt(`0x${randomBytes(6).toString('hex')}`))
        : `${shape.provider}-client-${randomBytes(6).toString('hex')}`;
    this.clientSecret = randomBytes(24).toString('hex');
    const publicUrl = (options.publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
    this.redirectUris = options.redirectUris ?? [`${publicUrl}/auth/${shape.provider}/callback`];
    this.requireAppSecretProof = options.requireAppSecretProof ?? false;
  }

  /** Base URL, e.g. http://127.0.0.1:54321. */
  get url(): string {
    if (!this.baseUrl) throw new Error('emulator not started');
    return this.baseUrl;
  }

  get endpoints(): { authorize: string; token: string; profile: string; emails?: string } {
    const { paths } = this.shape;
    return {
      authorize: this.url + paths.authorize,
      token: this.url + paths.token,
      profile: this.url + paths.profile,
      ...(paths.emails ? { emails: this.url + paths.emails } : {}),
    };
  }

  /** The user who will "click Allow" on the next authorization requests; null: nobody signs in. */
  signInAs(user: EmulatedUser | null): void {
    if (user) this.shape.validateUser?.(user);
    this.user = user ? structuredClone(user) : null;
  }

  /** The next authorization request is refused by the user (error=access_denied). */
  denyNext(description = 'The user denied the request'): void {
    this.deny = description;
  }

  /** The next request to `endpoint` fails: 'error' answers 503, 'hang' never answers. */
  failNext(endpoint: FailableEndpoint, mode: FailureMode = 'error'): void {
    if (endpoint === 'emails' && !this.shape.paths.emails) {
      throw new Error(`${this.provider} has no emails endpoint`);
    }
    const queue = this.failures.get(endpoint) ?? [];
    queue.push(mode);
    this.failures.set(endpoint, queue);
  }

  /** The app's configuration for this provider. */
  env(): Record<string, string> {
    const { envPrefix: p, envNames: n } = this.shape;
    const e = this.endpoints;
    return {
      [`${p}_CLIENT_ID`]: this.clientId,
      [`${p}_CLIENT_SECRET`]: this.clientSecret,
      [`${p}_${n.authorize}`]: e.authorize,
      [`${p}_${n.token}`]: e.token,
      [`${p}_${n.profile}`]: e.profile,
      ...(n.emails && e.emails ? { [`${p}_${n.emails}`]: e.emails } : {}),
    };
  }

  async start(): Promise<this> {
    const server = createServer(this.buildApp());
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Stops listening and drops every connection, hung requests and idle keep-alives included. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    const { paths } = this.shape;

    app.get(paths.authorize, (req, res) => this.authorize(req, res));
    app.post(paths.token, express.urlencoded({ extended: false }), (req, res) =>
      this.token(req, res),
    );
    app.get(paths.profile, (req, res) => this.resource('profile', req, res));
    if (paths.emails) app.get(paths.emails, (req, res) => this.resource('emails', req, res));
    app.use((_req, res) => {
      res.status(404).json({ error: 'not_found' });
    });
    return app;
  }

  private authorize(req: Request, res: Response): void {
    const query = searchParams(req);
    this.authorizeRequests.push(query);
    const {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: responseType,
      state,
      scope,
      code_challenge: codeChallenge,
      code_challenge_method: challengeMethod,
    } = query;

    // Until the client and redirect URI are trusted, errors must not redirect (RFC 6749 §4.1.2.1).
    if (hasRepeatedParams(req)) return errorPage(res, 'invalid_request', 'Repeated parameter');
    if (clientId !== this.clientId) return errorPage(res, 'invalid_client', 'Unknown client_id');
    if (!redirectUri) return errorPage(res, 'invalid_request', 'Missing redirect_uri');
    if (!this.redirectUris.includes(redirectUri)) {
      return errorPage(res, 'redirect_uri_mismatch', `Unregistered redirect_uri ${redirectUri}`);
    }

    const back = (params: Record<string, string>): void => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      if (state !== undefined) target.searchParams.set('state', state);
      res.redirect(302, target.href);
    };

    if (responseType !== 'code') {
      return back({ error: 'unsupported_response_type', error_description: 'Only code' });
    }
    if (this.shape.requireScope && !scope) {
      return back({
        error: 'invalid_request',
        error_description: 'Missing required parameter: scope',
      });
    }
    if (codeChallenge !== undefined && challengeMethod !== 'S256') {
      // Without a method RFC 7636 means "plain", which this emulator (like Google's strict mode) refuses.
      return back({
        error: 'invalid_request',
        error_description: 'code_challenge_method must be S256',
      });
    }
    if (codeChallenge === undefined && challengeMethod !== undefined) {
      return back({ error: 'invalid_request', error_description: 'code_challenge missing' });
    }

    const denied = this.deny;
    this.deny = null;
    if (denied !== null || !this.user) {
      return back({
        ...this.shape.deniedParams(),
        error_description: denied ?? 'No user signed in at the provider',
      });
    }

    const code = randomBytes(20).toString('base64url');
    this.codes.set(code, {
      clientId,
      redirectUri,
      user: structuredClone(this.user),
      scopes: splitScopes(scope),
      codeChallenge,
      expiresAt: Date.now() + CODE_TTL_MS,
      used: false,
      tokens: [],
    });
    back({ code });
  }

  private token(req: Request, res: Response): void {
    const body = (req.body ?? {}) as Record<string, string>;
    this.record('token', req, body);
    if (this.injectFailure('token', res)) return;
    const fail = (code: TokenErrorCode, description: string, subcode?: number): void =>
      this.shape.tokenError(req, res, { code, description, subcode });

    const basic = parseBasic(req.header('authorization'));
    if (basic && body.client_secret !== undefined) {
      return fail('invalid_request', 'Client authenticated in more than one way');
    }
    const clientId = basic?.id ?? body.client_id;
    const clientSecret = basic?.secret ?? body.client_secret;
    if (clientId !== this.clientId || !safeEqual(clientSecret ?? '', this.clientSecret)) {
      return fail('invalid_client', 'Client authentication failed');
    }
    if (body.grant_type !== 'authorization_code') {
      return fail('unsupported_grant_type', `grant_type ${body.grant_type} not supported`);
    }

    const entry = body.code ? this.codes.get(body.code) : undefined;
    if (!entry || entry.clientId !== clientId) {
      return fail('invalid_grant', 'Invalid authorization code', 36007);
    }
    if (entry.used) {
      for (const token of entry.tokens) this.tokens.delete(token);
      return fail('invalid_grant', 'This authorization code has been used', 36009);
    }
    // One attempt per code, successful or not.
    entry.used = true;
    if (Date.now() > entry.expiresAt) {
      return fail('invalid_grant', 'This authorization code has expired', 36007);
    }
    if (body.redirect_uri !== entry.redirectUri) {
      return fail(
        'redirect_uri_mismatch',
        'redirect_uri differs from the authorization request',
        36008,
      );
    }
    if (entry.codeChallenge !== undefined) {
      const verifier = body.code_verifier ?? '';
      const computed = createHash('sha256').update(verifier).digest('base64url');
      if (!verifier || !safeEqual(computed, entry.codeChallenge)) {
        return fail('invalid_grant', 'code_verifier does not match code_challenge');
      }
    } else if (body.code_verifier !== undefined) {
      // A verifier without a challenge means the app forgot PKCE at authorize: catch that bug.
      return fail('invalid_grant', 'code_verifier sent but no code_challenge was');
    }

    const token = `${this.shape.tokenPrefix}${randomBytes(24).toString('base64url')}`;
    const grant: AccessGrant = {
      user: entry.user,
      scopes: entry.scopes,
      expiresAt: this.shape.expiresIn ? Date.now() + this.shape.expiresIn * 1000 : undefined,
    };
    this.tokens.set(token, grant);
    entry.tokens.push(token);
    this.shape.tokenSuccess(req, res, token, grant);
  }

  private resource(endpoint: 'profile' | 'emails', req: Request, res: Response): void {
    this.record(endpoint, req, {});
    if (this.injectFailure(endpoint, res)) return;
    const token = this.readToken(req);
    const grant = token ? this.tokens.get(token) : undefined;
    if (!token || !grant || (grant.expiresAt !== undefined && Date.now() > grant.expiresAt)) {
      return this.shape.unauthorized(res);
    }
    if (endpoint === 'emails') {
      return this.shape.emails?.(req, res, grant);
    }
    this.shape.profile(req, res, grant, {
      token,
      clientSecret: this.clientSecret,
      requireAppSecretProof: this.requireAppSecretProof,
    });
  }

  private readToken(req: Request): string | undefined {
    const header = req.header('authorization');
    if (header) {
      // GitHub documents both "token" and "Bearer"; the others only Bearer.
      const scheme = this.provider === 'github' ? /^(?:bearer|token) (.+)$/i : /^bearer (.+)$/i;
      return scheme.exec(header)?.[1];
    }
    const fromQuery = searchParams(req).access_token;
    return this.shape.tokenInQuery ? fromQuery : undefined;
  }

  private injectFailure(endpoint: FailableEndpoint, res: Response): boolean {
    const mode = this.failures.get(endpoint)?.shift();
    if (!mode) return false;
    if (mode === 'error') {
      res.status(503).type('html').send('<h1>503 Service Unavailable</h1>');
    }
    // 'hang': leave the response open; close() destroys the socket.
    return true;
  }

  private record(
    endpoint: RecordedRequest['endpoint'],
    req: Request,
    body: Record<string, string>,
  ) {
    this.requests.push({
      endpoint,
      method: req.method,
      path: req.path,
      query: searchParams(req),
      headers: { ...req.headers },
      body: { ...body },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function searchParams(req: Request): Record<string, string> {
  const params = new URL(req.originalUrl, 'http://emulator.invalid').searchParams;
  const out: Record<string, string> = {};
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}

function hasRepeatedParams(req: Request): boolean {
  const keys = [...new URL(req.originalUrl, 'http://emulator.invalid').searchParams.keys()];
  return new Set(keys).size !== keys.length;
}

function splitScopes(scope: string | undefined): string[] {
  // GitHub and Facebook strategies join scopes with commas, Google with spaces.
  return (scope ?? '').split(/[\s,]+/).filter(Boolean);
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header && /^basic (.+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    id: decodeURIComponent(decoded.slice(0, colon)),
    secret: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function errorPage(res: Response, error: string, description: string): void {
  res
    .status(400)
    .type('html')
    .send(`<h1>Error 400: ${escapeHtml(error)}</h1><p>${escapeHtml(description)}</p>`);
}

function splitName(name: string | undefined): { first?: string; last?: string } {
  if (!name) return {};
  const parts = name.trim().split(/\s+/);
  if (parts.length === 1) return { first: parts[0] };
  return { first: parts.slice(0, -1).join(' '), last: parts[parts.length - 1] };
}

function wantsJson(req: Request): boolean {
  return /application\/json/i.test(req.header('accept') ?? '');
}

function githubEmails(user: EmulatedUser): Array<{
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: 'public' | 'private' | null;
}> {
  const list =
    user.emails ??
    (user.email
      ? [{ email: user.email, primary: true, verified: user.emailVerified ?? true }]
      : []);
  return list.map((e) => ({
    email: e.email,
    primary: e.primary,
    verified: e.verified,
    // GitHub reports visibility only on the primary address.
    visibility: e.primary ? (e.email === user.email ? 'public' : 'private') : null,
  }));
}

// ---------------------------------------------------------------------------------------------
// Provider shapes

const google: ProviderShape = {
  provider: 'google',
  envPrefix: 'GOOGLE',
  // passport-google-oauth20 picks the OpenID profile parser only when the path ends in /userinfo.
  paths: { authorize: '/o/oauth2/v2/auth', token: '/token', profile: '/oauth2/v3/userinfo' },
  envNames: { authorize: 'AUTHORIZATION_URL', token: 'TOKEN_URL', profile: 'USERINFO_URL' },
  requireScope: true,
  tokenPrefix: 'ya29.',
  expiresIn: 3599,
  tokenInQuery: true,
  deniedParams: () => ({ error: 'access_denied' }),
  tokenSuccess: (_req, res, token, grant) => {
    res.set('Cache-Control', 'no-store');
    res.json({
      access_token: token,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: grant.scopes.join(' '),
    });
  },
  tokenError: (_req, res, { code, description }) => {
    res.status(code === 'invalid_client' ? 401 : 400).json({
      error: code,
      error_description: description,
    });
  },
  unauthorized: (res) => {
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
      .json({ error: 'invalid_request', error_description: 'Invalid Credentials' });
  },
  profile: (_req, res, { user, scopes }) => {
    const has = (short: string): boolean =>
      scopes.includes(short) ||
      scopes.includes(`https://www.googleapis.com/auth/userinfo.${short}`);
    const { first, last } = splitName(user.name);
    // Google's userinfo answers only what the granted scopes cover.
    res.json({
      sub: user.id,
      ...(has('profile')
        ? {
            name: user.name,
            given_name: first,
            family_name: last,
            picture: `https://lh3.googleusercontent.com/a/${user.id}=s96-c`,
          }
        : {}),
      ...(has('email') && user.email
        ? { email: user.email, email_verified: user.emailVerified ?? true }
        : {}),
    });
  },
};

const github: ProviderShape = {
  provider: 'github',
  envPrefix: 'GITHUB',
  paths: {
    authorize: '/login/oauth/authorize',
    token: '/login/oauth/access_token',
    profile: '/user',
    emails: '/user/emails',
  },
  envNames: {
    authorize: 'AUTHORIZATION_URL',
    token: 'TOKEN_URL',
    profile: 'USER_URL',
    emails: 'EMAILS_URL',
  },
  requireScope: false,
  tokenPrefix: 'gho_',
  tokenInQuery: false,
  deniedParams: () => ({
    error: 'access_denied',
    error_uri:
      'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied',
  }),
  tokenSuccess: (req, res, token, grant) => {
    const body = { access_token: token, token_type: 'bearer', scope: grant.scopes.join(',') };
    // Form-encoded unless asked for JSON, as github.com does; the oauth client parses both.
    if (wantsJson(req)) res.json(body);
    else res.type('application/x-www-form-urlencoded').send(new URLSearchParams(body).toString());
  },
  tokenError: (req, res, { code, description }) => {
    const error =
      code === 'invalid_grant'
        ? 'bad_verification_code'
        : code === 'invalid_client'
          ? 'incorrect_client_credentials'
          : code;
    const body = {
      error,
      error_description: description,
      error_uri:
        'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
    };
    // GitHub answers token errors with 200.
    if (wantsJson(req)) res.status(200).json(body);
    else
      res
        .status(200)
        .type('application/x-www-form-urlencoded')
        .send(new URLSearchParams(body).toString());
  },
  unauthorized: (res) => {
    res.status(401).json({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
  },
  profile: (_req, res, { user, scopes }) => {
    res.set('X-OAuth-Scopes', scopes.join(', '));
    res.json({
      login: user.login ?? githubLogin(user),
      id: Number(user.id),
      node_id: Buffer.from(`04:User${user.id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      html_url: `https://github.com/${user.login ?? githubLogin(user)}`,
      type: 'User',
      site_admin: false,
      name: user.name ?? null,
      // Only a public email shows here; private ones need /user/emails with user:email.
      email: user.email ?? null,
    });
  },
  emails: (_req, res, { user, scopes }) => {
    res.set('X-OAuth-Scopes', scopes.join(', '));
    if (!scopes.includes('user') && !scopes.includes('user:email')) {
      // GitHub hides resources the token's scopes do not cover behind 404.
      res
        .status(404)
        .json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    res.json(githubEmails(user));
  },
  validateUser: (user) => {
    if (!/^\d+$/.test(user.id)) {
      throw new TypeError(`GitHub user ids are numbers; got ${JSON.stringify(user.id)}`);
    }
  },
};

function githubLogin(user: EmulatedUser): string {
  const slug = (user.name ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return slug || `user${user.id}`;
}

const FACEBOOK_VERSION = 'v21.0';
const FACEBOOK_FIELDS = new Set([
  'id',
  'name',
  'email',
  'first_name',
  'last_name',
  'middle_name',
  'picture',
  'link',
  'gender',
  'birthday',
  'short_name',
]);

function facebookError(
  res: Response,
  status: number,
  message: string,
  code: number,
  subcode?: number,
): void {
  res.status(status).json({
    error: {
      message,
      type: 'OAuthException',
      code,
      ...(subcode ? { error_subcode: subcode } : {}),
      fbtrace_id: randomBytes(8).toString('base64url'),
    },
  });
}

const facebook: ProviderShape = {
  provider: 'facebook',
  envPrefix: 'FACEBOOK',
  paths: {
    authorize: `/${FACEBOOK_VERSION}/dialog/oauth`,
    token: `/${FACEBOOK_VERSION}/oauth/access_token`,
    profile: `/${FACEBOOK_VERSION}/me`,
  },
  envNames: { authorize: 'AUTHORIZATION_URL', token: 'TOKEN_URL', profile: 'PROFILE_URL' },
  requireScope: false,
  tokenPrefix: 'EAA',
  expiresIn: 5183944,
  tokenInQuery: true,
  deniedParams: () => ({
    error: 'access_denied',
    error_code: '200',
    error_reason: 'user_denied',
  }),
  tokenSuccess: (_req, res, token) => {
    res.json({ access_token: token, token_type: 'bearer', expires_in: 5183944 });
  },
  tokenError: (_req, res, { code, description, subcode }) => {
    // Graph API: 400 with an OAuthException object; code 1 for a bad client secret.
    facebookError(res, 400, description, code === 'invalid_client' ? 1 : 100, subcode);
  },
  unauthorized: (res) => {
    facebookError(res, 401, 'Invalid OAuth access token data.', 190);
  },
  profile: (req, res, { user }, { token, clientSecret, requireAppSecretProof }) => {
    const query = searchParams(req);
    const proof = query.appsecret_proof;
    if (proof !== undefined || requireAppSecretProof) {
      const expected = createHmac('sha256', clientSecret).update(token).digest('hex');
      if (!proof || !safeEqual(proof, expected)) {
        return facebookError(res, 400, 'Invalid appsecret_proof provided in the API argument', 100);
      }
    }
    // Without `fields` the Graph API answers only id and name.
    const fields = (query.fields ?? 'id,name').split(',').filter(Boolean);
    const unknown = fields.find((f) => !FACEBOOK_FIELDS.has(f));
    if (unknown) {
      return facebookError(res, 400, `(#100) Tried accessing nonexisting field (${unknown})`, 100);
    }
    const { first, last } = splitName(user.name);
    const values: Record<string, unknown> = {
      id: user.id,
      name: user.name,
      // Facebook only ever returns a confirmed email.
      email: user.emailVerified === false ? undefined : user.email,
      first_name: first,
      last_name: last,
      short_name: first,
      picture: {
        data: {
          height: 50,
          width: 50,
          is_silhouette: false,
          url: `https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=${user.id}`,
        },
      },
    };
    const body: Record<string, unknown> = {};
    for (const f of fields) if (values[f] !== undefined) body[f] = values[f];
    res.json(body);
  },
};

const shapes: Record<EmulatedProvider, ProviderShape> = { google, github, facebook };

export function startOAuthEmulator(
  provider: EmulatedProvider,
  options?: EmulatorOptions,
): Promise<OAuthEmulator> {
  return new OAuthEmulator(shapes[provider], options).start();
}

export const startGoogleEmulator = (options?: EmulatorOptions): Promise<OAuthEmulator> =>
  startOAuthEmulator('google', options);
export const startGitHubEmulator = (options?: EmulatorOptions): Promise<OAuthEmulator> =>
  startOAuthEmulator('github', options);
export const startFacebookEmulator = (options?: EmulatorOptions): Promise<OAuthEmulator> =>
  startOAuthEmulator('facebook', options);
