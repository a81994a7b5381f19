import { decodeJwt } from 'jose';
import type { Interaction } from 'oidc-provider';
import type { Auth } from '../sign-in/authenticated-request';
import { type StepUp, stepUpOwed } from './authentication-context';

/**
 * What an interaction does next, for whoever is signed in here:
 *  - `refuse`: the app's `id_token_hint` names someone else, and the sign-in page was offered once
 *    already: the app hears login_required (OpenID Connect Core 3.1.2.1);
 *  - `sign-in`: the person signs in (again) first; `offerOnce` when the request carries a hint,
 *    so that whoever comes back from /login is the answer;
 *  - `step-up`: the app asks for two factors (`acr_values=mfa`) and `auth`'s sign-in used one: the
 *    person adds a second (`via`), once; whoever comes back without it, the request completes
 *    with the sign-in as it is (the app sees no `acr` of `mfa`);
 *  - `finish`: the request completes as `auth`'s person.
 */
export type InteractionStep =
  | { kind: 'refuse' }
  | { kind: 'sign-in'; offerOnce: boolean }
  | { kind: 'step-up'; via: StepUp; auth: Auth }
  | { kind: 'finish'; auth: Auth };

/** Kept in the interaction's result while the browser is at /login for a hinted request. */
export const SIGN_IN_OFFERED = { signInOffered: true };

/**
 * What the interaction's result keeps when it sends the browser to sign in: SIGN_IN_OFFERED for a
 * hinted request, and the moment (in milliseconds) it first asked, which a fresh sign-in follows
 * (see needsFreshSignIn). Undefined when there is nothing new to keep.
 */
export function resultAskingSignIn(
  interaction: Interaction,
  offerOnce: boolean,
  now = Date.now(),
): Record<string, unknown> | undefined {
  const result = interaction.result ?? {};
  const firstAsk = typeof result.signInAskedAt !== 'number';
  if (!firstAsk && (!offerOnce || result.signInOffered === true)) return undefined;
  return {
    ...result,
    ...(offerOnce && SIGN_IN_OFFERED),
    ...(firstAsk && { signInAskedAt: now }),
  };
}

/** Kept in the interaction's result once a second factor was asked for (acr_values=mfa). */
export const STEP_UP_OFFERED = { stepUpOffered: true };

export function nextStep(interaction: Interaction, auth: Auth | null): InteractionStep {
  const hinted = hintedAccountOf(interaction);
  const notHinted = hinted !== undefined && auth?.user._id.toHexString() !== hinted;
  if (notHinted && signInAlreadyOffered(interaction)) return { kind: 'refuse' };
  if (!auth || notHinted || needsFreshSignIn(interaction, auth)) {
    return { kind: 'sign-in', offerOnce: hinted !== undefined };
  }
  const via = interaction.result?.stepUpOffered ? undefined : stepUpOwed(interaction.params, auth);
  return via ? { kind: 'step-up', via, auth } : { kind: 'finish', auth };
}

/**
 * Whether the sign-in page was shown for this request already: by this interaction, or a sign-in
 * was submitted for it before and the provider asked again (its hint check, see interaction-policy).
 */
function signInAlreadyOffered(interaction: Interaction): boolean {
  return (
    interaction.result?.signInOffered === true || interaction.lastSubmission?.login !== undefined
  );
}

/**
 * The account the app's `id_token_hint` names (`sub` is the account's id), if it sent one. The
 * provider verified the token when the request began; the interaction keeps it server-side.
 */
function hintedAccountOf(interaction: Interaction): string | undefined {
  const hint = interaction.params.id_token_hint;
  return typeof hint === 'string' ? decodeJwt(hint).sub : undefined;
}

/**
 * `prompt=login`, or a `max_age` the sign-in here is older than: the person signs in again first
 * (after the request began, for prompt=login). What the sign-in proved is compared against the
 * request to the millisecond: a sign-in finishing within the same second as the request is as
 * fresh as one a second later (judged by whole seconds, the sign-in page would come back again
 * and again until the clock turned).
 */
function needsFreshSignIn(interaction: Interaction, { session }: Auth): boolean {
  const signedInAt = session.authenticatedAt.getTime();
  // Signed in since this request sent the person to sign in: what it asked for was proved, also
  // for max_age=0 (the milliseconds since are the way back here, not an old sign-in).
  const askedAt = interaction.result?.signInAskedAt;
  if (typeof askedAt === 'number' && signedInAt >= askedAt) return false;
  // Signed in after the second the request began (iat counts whole seconds).
  if (signedInAt >= (interaction.iat + 1) * 1000) return false;
  const { prompt, max_age } = interaction.params;
  const prompts = typeof prompt === 'string' ? prompt.split(' ') : [];
  if (prompts.includes('login')) return true;
  const maxAge = Number(max_age);
  return Number.isFinite(maxAge) && Date.now() - signedInAt > maxAge * 1000;
}
