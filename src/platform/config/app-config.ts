import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import {
  AreaReading,
  emptyAsUnset,
  Environment,
  readSettingsClass,
  splitList,
  stripTrailingSlash,
  validSettings,
} from './settings-class';
import { IsTrustProxy, parseTrustProxy, TrustProxySetting } from './trust-proxy';

/**
 * The platform's settings, which every area may use (NODE_ENV, PORT, PUBLIC_URL, MONGODB_URI, the
 * origins, cookies, proxies, logging …), read from the environment (and an optional .env) and
 * validated once at boot. Each area's own settings are in its class (see CONFIG_AREAS in
 * src/configuration.ts). Each property is named after its variable; `.env.example` documents them all.
 */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  /** External base URL; defaults to http://localhost:PORT. */
  @Transform(emptyAsUnset)
  @Transform(stripTrailingSlash)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  PUBLIC_URL?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, {
    message: 'MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string',
  })
  MONGODB_URI?: string;

  /** Where the embedded development database keeps its files. */
  @IsString()
  EMBEDDED_MONGO_PATH = '.data';

  @Transform(splitList)
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { each: true, message: 'ALLOWED_ORIGINS must be a comma-separated list of origins' },
  )
  ALLOWED_ORIGINS: string[] = [];

  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'SESSION_COOKIE_NAME must be 1-64 letters, digits, _ or -',
  })
  SESSION_COOKIE_NAME = 'sid';

  // Sessions and sign-in limits (SESSION_*_TIMEOUT_SECONDS, RECENT_SIGN_IN_SECONDS, SIGN_IN_*)
  // have their own area beside them: SignInConfig.

  // Passwords (PASSWORD_MIN_LENGTH, ARGON2_*) have their own area beside them: PasswordConfig.

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  // The admin API's limit (ADMIN_RATE_LIMIT) has its own area beside it: AdminConfig.

  /**
   * Behind a reverse proxy: a number of hops, or comma-separated addresses/subnets of the proxies
   * to trust for X-Forwarded-For (express's "trust proxy"), so rate limits count the real client.
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsTrustProxy()
  TRUST_PROXY?: string;

  /**
   * Signs the CSRF tokens of the HTML forms; every instance must share it (a form one instance
   * renders is posted to any other). Required in production; in development and tests a fixed,
   * public one stands in (see csrfSecret).
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  @Matches(/^.{32,}$/, { message: 'CSRF_SECRET must be at least 32 characters' })
  CSRF_SECRET?: string;

  /** When set, GET /metrics wants it as a bearer token; unset, the metrics are open to anyone. */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  @Matches(/^\S{32,}$/, { message: 'METRICS_TOKEN must be at least 32 characters, without spaces' })
  METRICS_TOKEN?: string;

  // Social sign-in (GOOGLE_*, GITHUB_*, FACEBOOK_*, OIDC_PROVIDERS, OIDC_<KEY>_*,
  // PROVIDER_TIMEOUT_SECONDS) has its own area beside the providers: ProvidersConfig.

  /** Origins besides our own that a `returnTo` may send people back to after signing in. */
  @Transform(splitList)
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'], require_protocol: true },
    { each: true, message: 'ALLOWED_RETURN_ORIGINS must be a comma-separated list of origins' },
  )
  ALLOWED_RETURN_ORIGINS: string[] = [];

  // The OpenID provider's settings (OIDC_CLIENTS, OIDC_CLIENTS_FILE, OIDC_KEY_SECRET) have their own
  // area beside it: OpenIdConfig.

  /** The service's name in emails (sender name, subjects, greetings). */
  @IsString()
  @Matches(/^[^\r\n]{1,64}$/, { message: 'APP_NAME must be 1-64 characters on one line' })
  APP_NAME = 'Account';

  // Mail (SMTP_URL, MAIL_*, EMAIL_VERIFICATION_TTL_SECONDS, PASSWORD_RESET_TTL_SECONDS) has its own
  // area beside it: EmailConfig.

  /**
   * How long a stopping instance (SIGTERM) waits for the requests under way, and then for the
   * delivery under way (mail), before it cuts them off. Keep it below the orchestrator's kill timeout.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(300)
  SHUTDOWN_GRACE_SECONDS = 10;

  // The audit log's retention (EVENTS_RETENTION_DAYS) has its own area beside it: EventsConfig.

  // Webhooks (WEBHOOK_URLS, WEBHOOK_SECRET, WEBHOOK_RETRY_SECONDS) have their own area beside them:
  // WebhooksConfig.

  // The profile fields (PROFILE_FIELDS) have their own area beside them: ProfileFieldsConfig.

  /**
   * The secret that signs the forms' CSRF tokens: CSRF_SECRET, or in development and tests (where it
   * may be left out) a fixed one that protects nothing. Fixed rather than random per process, so that
   * several development instances on one database accept each other's forms, as in production.
   */
  get csrfSecret(): string {
    return this.CSRF_SECRET ?? 'development only: set CSRF_SECRET in production';
  }

  /** PUBLIC_URL's path without a trailing slash ('' at the root): the pages and routes sit under it. */
  get basePath(): string {
    return new URL(this.publicUrl).pathname.replace(/\/$/, '');
  }

  get publicUrl(): string {
    return this.PUBLIC_URL ?? `http://localhost:${this.PORT}`;
  }

  get isProduction(): boolean {
    return this.NODE_ENV === 'production';
  }

  /** TRUST_PROXY as express's "trust proxy" takes it; undefined: X-Forwarded-For is ignored. */
  get trustProxy(): TrustProxySetting | undefined {
    return this.TRUST_PROXY === undefined ? undefined : parseTrustProxy(this.TRUST_PROXY);
  }

  /** Every cookie is Secure exactly when browsers reach the service over HTTPS. */
  get secureCookies(): boolean {
    return new URL(this.publicUrl).protocol === 'https:';
  }

  /**
   * `__Host-` for cookies at Path=/ when the service owns its whole HTTPS origin: browsers then
   * insist on Secure, Path=/ and no Domain, so no sibling domain can plant or shadow the cookie.
   * Under a path (several services on one origin) or over plain HTTP: no prefix.
   */
  get hostOnlyCookiePrefix(): '__Host-' | '' {
    return this.secureCookies && new URL(this.publicUrl).pathname === '/' ? '__Host-' : '';
  }

  /** Origins whose browsers may send state-changing requests: our own and the configured ones. */
  get trustedOrigins(): Set<string> {
    return new Set([this.publicUrl, ...this.ALLOWED_ORIGINS].map((url) => new URL(url).origin));
  }

  /** Validates raw environment variables; throws one error naming every bad variable. */
  static fromEnvironment(env: Environment): AppConfig {
    return validSettings(AppConfig.read(env));
  }

  /** The settings from raw environment variables, and every problem with them. */
  static read(env: Environment): AreaReading<AppConfig> {
    const { settings: config, problems } = readSettingsClass(AppConfig, env);
    if (config.isProduction && !config.MONGODB_URI) {
      problems.push(
        'MONGODB_URI is required when NODE_ENV=production (the embedded database is for development only)',
      );
    }
    if (config.isProduction && !config.CSRF_SECRET) {
      problems.push(
        'CSRF_SECRET is required when NODE_ENV=production (it signs the forms; every instance must share it)',
      );
    }
    return { settings: config, problems };
  }
}
