import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches } from 'class-validator';
import { configArea, emptyAsUnset } from '../platform/config/config-area';
import { OidcClientSettings, readOidcClients } from './oidc-clients';
import { OidcResource, readOidcResources } from './oidc-resources';

/** This service as the OpenID Connect provider of other apps: the apps, and the provider's secret. */
export class OpenIdConfig {
  /**
   * The apps that sign their users in here (this service as their OpenID Connect provider): a JSON
   * array of client metadata, inline or in a file. Read by readOidcClients() into `oidcClients`.
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  OIDC_CLIENTS?: string;

  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  OIDC_CLIENTS_FILE?: string;

  /** The configured apps, checked (see src/openid/oidc-clients.ts). */
  oidcClients: OidcClientSettings[] = [];

  /**
   * The APIs that take this provider's JWT access tokens (RFC 8707 resource indicators): a JSON
   * array of `{ indicator, scopes, accessTokenTtlSeconds }`. Read by readOidcResources().
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  OIDC_RESOURCES?: string;

  /** The declared APIs, checked (see src/openid/oidc-resources.ts). */
  oidcResources: OidcResource[] = [];

  /**
   * Encrypts the provider's private signing keys in MongoDB and signs its cookies. Required in
   * production when apps are configured; every instance must share it.
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  @Matches(/^.{32,}$/, { message: 'OIDC_KEY_SECRET must be at least 32 characters' })
  OIDC_KEY_SECRET?: string;

  /**
   * The secret behind the provider's key encryption and cookies: OIDC_KEY_SECRET, or in development
   * and tests (where it may be left out) a fixed one that protects nothing.
   */
  get oidcKeySecret(): string {
    return this.OIDC_KEY_SECRET ?? 'development only: set OIDC_KEY_SECRET in production';
  }
}

export const openIdConfig = configArea('openid', OpenIdConfig, (config, { env, platform }) => {
  const resources = readOidcResources(env);
  config.oidcResources = resources.resources;
  const clients = readOidcClients(
    env,
    resources.resources.flatMap(({ scopes }) => scopes),
  );
  config.oidcClients = clients.clients;
  const problems = [...resources.problems, ...clients.problems];
  if (platform.isProduction && config.oidcClients.length > 0 && !config.OIDC_KEY_SECRET) {
    problems.push(
      'OIDC_KEY_SECRET is required when NODE_ENV=production and OIDC_CLIENTS are configured (it encrypts the signing keys)',
    );
  }
  return problems;
});
