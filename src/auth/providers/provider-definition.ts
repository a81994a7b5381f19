import type { Strategy } from 'passport';
import type { ProviderInfo } from './provider-catalog';

/** Who a provider says the person is. Identities are keyed by provider and subject, never by email. */
export interface ProviderIdentity {
  provider: string;
  subject: string;
  /** Present only when the provider says the address is verified. */
  verifiedEmail?: string;
  /** A display name, and a handle (GitHub login, preferred_username) for making a username. */
  name?: string;
  handle?: string;
}

/** What a strategy needs from the service: where to come back to, and where to keep its state. */
export interface StrategyContext {
  callbackURL: string;
  /** The state store for passport-oauth2 strategies. */
  oauth2Store: object;
  /** The state store for passport-openidconnect. */
  oidcStore: object;
  timeoutMs: number;
}

export interface ProviderDefinition extends ProviderInfo {
  /** Builds the passport strategy (for OIDC after reading the issuer's discovery document). */
  createStrategy(context: StrategyContext): Promise<Strategy>;
}

/** A non-empty trimmed string from a provider's loosely typed JSON, else undefined. */
export function trimmed(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
