import type { Auth } from '../sign-in/authenticated-request';
import { SIGN_IN_METHODS } from '../sign-in/methods/sign-in-methods';
import type { Session } from '../sign-in/sessions/session.schema';
import type { User } from '../users/schemas/user.schema';

/**
 * The one authentication context class (`acr`) this provider tells the apps and takes in
 * `acr_values`: two factors were used. A sign-in of one factor gets no `acr` at all (it is a
 * voluntary claim), so an app that asked for `mfa` sees it was not reached.
 */
export const MFA_ACR = 'mfa';

/** What discovery's `acr_values_supported` lists. */
export const ACR_VALUES = [MFA_ACR];

/** How the apps are told of a sign-in here: its methods (RFC 8176) and, for two factors, `acr`. */
export interface AuthenticationContext {
  amr: string[];
  acr?: typeof MFA_ACR;
}

/**
 * Whether the session's sign-in used two factors: a passkey (held, and unlocked by the person),
 * or a first factor with two-step sign-in's code or recovery code.
 */
export function twoFactorsProved(session: Session): boolean {
  const method = SIGN_IN_METHODS[session.method ?? 'password'];
  return method.twoFactorsAlone || session.secondFactor !== undefined;
}

/**
 * `amr` from the session's sign-in: the method's values (`pwd`, `fed`, `hwk` or `swk` with
 * `user`), then `otp` for two-step sign-in's second factor (a code, or a recovery code: a
 * one-time password of a printed list), and `mfa` with `acr` when two factors were used.
 * Sessions from before the method was recorded have always been given the password's.
 */
export function authenticationOf(session: Session): AuthenticationContext {
  const amr = [...SIGN_IN_METHODS[session.method ?? 'password'].amr(session)];
  if (session.secondFactor !== undefined) amr.push('otp');
  if (!twoFactorsProved(session)) return { amr };
  return { amr: [...amr, 'mfa'], acr: MFA_ACR };
}

/** Whether an authorization request's `acr_values` asks for two factors. */
export function asksForTwoFactors(params: Record<string, unknown> | undefined): boolean {
  const values = params?.acr_values;
  return typeof values === 'string' && values.split(' ').includes(MFA_ACR);
}

/**
 * How a person signed in with one factor adds a second, when an app asks for two: two-step
 * sign-in's code (`second-factor`), or else signing in with one of their passkeys (`passkey`, on
 * the sign-in page). Undefined when the account has neither: the app gets the sign-in as it is.
 */
export type StepUp = 'second-factor' | 'passkey';

export function stepUpFor(user: User): StepUp | undefined {
  if (user.twoStep?.enabled === true) return 'second-factor';
  if (SIGN_IN_METHODS.passkey.keeps(user, [], undefined)) return 'passkey';
  return undefined;
}

/**
 * The step up the person signed in here owes a request whose `params` ask for two factors, or
 * undefined when they need none (no one signed in, two factors already, nothing asked) or can
 * take none.
 */
export function stepUpOwed(
  params: Record<string, unknown> | undefined,
  auth: Auth | null,
): StepUp | undefined {
  if (!auth || !asksForTwoFactors(params) || twoFactorsProved(auth.session)) return undefined;
  return stepUpFor(auth.user);
}
