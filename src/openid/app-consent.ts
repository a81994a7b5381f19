import type { Logger } from '@nestjs/common';
import type { Interaction, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { grantEverythingAsked } from './first-party-grants';
import type { OidcClientSettings } from './oidc-clients';
import type { AppGrants } from './storage/app-grants';

/** One thing an app asks for, as the consent page lists it. */
export interface AskedScope {
  scope: string;
  /** The API (resource indicator) an API scope is for, when the request names it. */
  resource?: string;
  /** Not granted before: what the person is asked about now. */
  isNew: boolean;
}

/** What the consent page shows: the app, and what it asks for. */
export interface ConsentAsked {
  clientId: string;
  appName: string;
  scopes: AskedScope[];
  /** Whether the app holds a grant already, and asks for more (or asks again: prompt=consent). */
  grantedBefore: boolean;
}

/**
 * Consent for the apps of other parties (`first_party: false`). The team's own apps get whatever
 * they ask for (first-party-grants.ts); another party's get what the person allowed on the consent
 * page, and the provider's consent prompt asks for anything more (prompt=none: consent_required).
 * What a person allowed is theirs, not the browser's: signing in to the app from another browser,
 * or after signing out here, does not ask again (AppGrants.consented).
 */
export class AppConsent {
  private readonly otherParties: Set<string>;

  constructor(
    private readonly clients: OidcClientSettings[],
    private readonly grants: AppGrants,
  ) {
    this.otherParties = new Set(
      clients.filter(({ first_party }) => !first_party).map(({ client_id }) => client_id),
    );
  }

  firstParty(clientId: string): boolean {
    return !this.otherParties.has(clientId);
  }

  /** oidc-provider's loadExistingGrant: the grant the request's account holds for its app. */
  loadGrant(ctx: KoaContextWithOIDC) {
    const clientId = ctx.oidc.client?.clientId;
    return !clientId || this.firstParty(clientId)
      ? grantEverythingAsked(ctx)
      : this.grantConsented(ctx, clientId);
  }

  /**
   * Another party's app: the grant this browser's session (or the consent just given) points to,
   * or one with what the person consented to in another browser; none when they never did.
   */
  private async grantConsented(ctx: KoaContextWithOIDC, clientId: string) {
    const { oidc } = ctx;
    const accountId = oidc.session?.accountId;
    if (!accountId) return undefined;
    const grantId =
      (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ??
      oidc.session?.grantIdFor(clientId);
    const found = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (found?.accountId === accountId && found.clientId === clientId) return found;
    const consented = await this.grants.consented(accountId, clientId);
    if (!consented) return undefined;
    const grant = new oidc.provider.Grant({ accountId, clientId });
    if (consented.openidScope) grant.addOIDCScope(consented.openidScope);
    if (consented.claims.length > 0) grant.addOIDCClaims(consented.claims);
    for (const [resource, scope] of Object.entries(consented.resources)) {
      if (scope) grant.addResourceScope(resource, scope);
    }
    await grant.save();
    return grant;
  }

  /** What the consent page lists for an interaction at the provider's consent prompt. */
  asked(interaction: Interaction): ConsentAsked {
    const clientId = interaction.params.client_id as string;
    const client = this.clients.find(({ client_id }) => client_id === clientId);
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const missingOpenId = new Set(details.missingOIDCScope ?? []);
    const missingApis = Object.entries(details.missingResourceScopes ?? {});
    const requested =
      typeof interaction.params.scope === 'string' ? interaction.params.scope.split(' ') : [];
    // What the provider keeps of the request: the app's own scopes, offline_access only with refresh tokens.
    const mayAsk = new Set(client?.scope.split(' ') ?? []);
    if (!client?.grant_types.includes('refresh_token')) mayAsk.delete('offline_access');
    const openIdScopes = [...new Set(requested)].filter((scope) => mayAsk.has(scope));
    const scopes: AskedScope[] = [
      ...openIdScopes.map((scope) => ({ scope, isNew: missingOpenId.has(scope) })),
      ...missingApis.flatMap(([resource, list]) =>
        list.map((scope) => ({ scope, resource, isNew: true })),
      ),
    ];
    return {
      clientId,
      appName: client?.client_name ?? clientId,
      scopes,
      grantedBefore: scopes.some(({ isNew }) => !isNew),
    };
  }
}

/**
 * Records when tokens are issued or refreshed for an app (GET /me/apps' lastUsedAt), on the grant
 * they are issued under; opaque tokens are `saved`, JWT ones `issued`. It does not hold up the
 * answer: a failure is logged, and the next token records it again.
 */
export function recordAppUse(provider: Provider, grants: AppGrants, logger: Logger): void {
  const record = (token: { grantId?: string }) => {
    if (!token.grantId) return;
    grants
      .used(token.grantId)
      .catch((error: unknown) =>
        logger.warn({ err: error }, "Could not record an app's use of its grant"),
      );
  };
  provider.on('access_token.saved', record);
  provider.on('access_token.issued', record);
}
