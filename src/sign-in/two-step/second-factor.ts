/**
 * The second factors of two-step sign-in, as sessions and events record them. A second factor is
 * never a way in by itself: it is not a sign-in method (methods/) and the never-lock-out rule
 * does not count it.
 */
export const SECOND_FACTORS = ['totp', 'recovery_code'] as const;
export type SecondFactor = (typeof SECOND_FACTORS)[number];
