import type { ProviderClient } from './provider-client';

/** What every enabled provider has, read from the configuration. */
export interface ProviderSettingsBase {
  /** Used in routes (/auth/{key}) and stored on identities. */
  key: string;
  /** Shown to people ("Continue with Google"). */
  name: string;
  clientId: string;
  clientSecret: string;
}

/** A built-in provider's settings: its endpoints, each overridable by configuration. */
export interface BuiltInSettings<Endpoint extends string = string> extends ProviderSettingsBase {
  endpoints: Record<Endpoint, string>;
}

/** What a provider client needs from the service. */
export interface ClientContext {
  /** `{PUBLIC_URL}/auth/{key}/callback`. */
  callbackURL: string;
  /** How long any call to the provider may take. */
  timeoutMs: number;
}

/** A kind of provider: how to talk to it, and which origins a browser is sent to. */
export interface ProviderKind<Settings extends ProviderSettingsBase> {
  createClient(settings: Settings, context: ClientContext): ProviderClient;
  /** Origins a "Connect" form's redirect leads to, for the content security policy's form-action. */
  formOrigins(settings: Settings): string[];
}

/**
 * A provider with a fixed identity (Google, GitHub…): its key, display name, the prefix of its
 * variables (`GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`) and its endpoints' defaults, each one
 * overridable by `<PREFIX>_<ENDPOINT>` (e.g. `GOOGLE_TOKEN_URL`).
 */
export interface BuiltInProviderKind<Endpoint extends string = string> extends ProviderKind<
  BuiltInSettings<Endpoint>
> {
  key: string;
  name: string;
  envPrefix: string;
  endpoints: Record<Endpoint, string>;
}
