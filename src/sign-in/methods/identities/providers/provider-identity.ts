/** Who a provider says the person is. Identities are keyed by provider and subject, never by email. */
export interface ProviderIdentity {
  /** The provider's key, as in /auth/{key}. */
  provider: string;
  subject: string;
  /** Present only when the provider says the address is verified. */
  verifiedEmail?: string;
  /** A display name, and a handle (GitHub login, preferred_username) for making a username. */
  name?: string;
  handle?: string;
}

/** A non-empty trimmed string from a provider's loosely typed JSON, else undefined. */
export function trimmed(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
