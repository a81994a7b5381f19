/**
 * What the apps signed in through this service (as their OpenID provider) hold for an account,
 * as sign-in needs to end it. Sign-in owns this port and the provider's storage answers it
 * (OidcStorageModule), so that the dependency goes only from the provider to sign-in.
 */
export abstract class AppSignIns {
  /** The provider forgets that this account signed in (its apps' grants stay). */
  abstract endSessions(accountId: string): Promise<void>;

  /** Every grant, token and code the apps hold for the account stops working. */
  abstract revokeAccount(accountId: string): Promise<void>;
}
