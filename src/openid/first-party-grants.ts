import type { Interaction, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { grantMissingResourceScopes, grantResourceScopesAsked } from './resource-grants';

/**
 * The apps are first-party: the grant covers whatever the app asked for, with no consent screen,
 * added to the grant it already has in this browser.
 */
export async function grantEverythingAsked(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const accountId = oidc.session?.accountId;
  const clientId = oidc.client?.clientId;
  if (!accountId || !clientId) return undefined;
  const existing = oidc.session?.grantIdFor(clientId);
  const grant =
    (existing && (await oidc.provider.Grant.find(existing))) ||
    new oidc.provider.Grant({ accountId, clientId });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...oidc.requestParamClaims]);
  grantResourceScopesAsked(grant, ctx);
  await grant.save();
  return grant;
}

/**
 * The grant an interaction finishes with, as `accountId`: what the provider found missing, added
 * to the grant the request found, when that one is this person's for this app. Returns its id.
 */
export async function grantForInteraction(
  provider: Provider,
  interaction: Interaction,
  accountId: string,
): Promise<string> {
  const clientId = interaction.params.client_id as string;
  const found = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant =
    found?.accountId === accountId && found.clientId === clientId
      ? found
      : new provider.Grant({ accountId, clientId });
  const missing = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  grantMissingResourceScopes(grant, missing);
  return grant.save();
}
