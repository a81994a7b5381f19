import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider's interaction policy, with a prompt of ours first (its checks run before the
 * base ones, which run side by side):
 *  - the provider's session follows this service's (`followServiceSession`, OidcProvider), so the
 *    base checks (no_session, max_age, id_token_hint, prompt=none's login_required) judge the
 *    person signed in here, also when a sign-in resumes the request (loadIdTokenHintOnResume);
 *  - `offline_access` kept for first-party apps: OpenID Connect drops it unless the request also
 *    asks for the consent screen, which these apps never show;
 *  - and, in the base `login` prompt, `acr_values=mfa` of a person signed in with one factor who
 *    can add a second: the interaction asks for it (prompt=none: login_required). Not again once
 *    an interaction finished the request (the person came back without it).
 */
export function policyFollowing({
  followServiceSession,
  owesStepUp,
}: {
  followServiceSession: (ctx: KoaContextWithOIDC) => Promise<void>;
  /** Whether the person signed in here owes the request a second factor (authentication-context). */
  owesStepUp: (ctx: KoaContextWithOIDC) => Promise<boolean>;
}) {
  const { base, Check, Prompt } = interactionPolicy;
  const policy = base();
  const serviceSession = new Check(
    'service_session',
    "the provider's session follows this service's",
    'login_required',
    async (ctx) => {
      await followServiceSession(ctx);
      await loadIdTokenHintOnResume(ctx);
      return Check.NO_NEED_TO_PROMPT;
    },
  );
  const offlineAccess = new Check(
    'offline_access',
    'refresh tokens for a first-party app',
    (ctx) => {
      const { oidc } = ctx;
      const words = (value: unknown) => (typeof value === 'string' ? value.split(' ') : []);
      const requested = words(oidc.params?.scope);
      const asked = words((ctx.query as Record<string, unknown>).scope);
      if (
        asked.includes('offline_access') &&
        !requested.includes('offline_access') &&
        oidc.client?.grantTypeAllowed('refresh_token') &&
        !oidc.prompts.has('none')
      ) {
        oidc.params!.scope = [...requested, 'offline_access'].join(' ');
      }
      return Check.NO_NEED_TO_PROMPT;
    },
  );
  policy.add(new Prompt({ name: 'service', requestable: false }, serviceSession, offlineAccess), 0);
  const twoFactors = new Check(
    'two_factors',
    'the app asks for two factors (acr_values=mfa); the sign-in used one',
    'login_required',
    async (ctx) =>
      !ctx.oidc.result?.login && (await owesStepUp(ctx))
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT,
  );
  policy.get('login')!.checks.add(twoFactors);
  return policy;
}

/**
 * oidc-provider checks `id_token_hint` when the request begins, and not when a sign-in resumes it:
 * its hint check would pass anyone then. Loaded again, the hint must name whoever the session now
 * does, or the provider asks again (and the interaction answers login_required).
 */
async function loadIdTokenHintOnResume(ctx: KoaContextWithOIDC): Promise<void> {
  const { oidc } = ctx;
  const hint = oidc.params?.id_token_hint;
  if (oidc.route !== 'resume' || typeof hint !== 'string' || oidc.entities.IdTokenHint) return;
  // As when the request began: a hint that no longer verifies (its key gone) is the app's error.
  const verified = await oidc.provider.IdToken.validate(hint, oidc.client!).catch((cause) => {
    if (cause instanceof errors.OIDCProviderError) throw cause;
    throw new errors.InvalidRequest('could not validate id_token_hint');
  });
  oidc.entity('IdTokenHint', verified);
}
