import type { MailKinds } from '../../email/delivery/mail-templates';

/** What changed in an account's two-step sign-in, as its owner is told at their address. */
export type TwoStepChange =
  | { action: 'enabled' }
  | { action: 'disabled'; byAdmin: boolean }
  | { action: 'recovery-code-used'; left: number }
  | { action: 'recovery-codes-replaced' };

/** The two-step notice mail for `change`. */
export function twoStepNotice(change: TwoStepChange): MailKinds['two-step-notice'] {
  switch (change.action) {
    case 'enabled':
      return {
        headline: 'Two-step sign-in was turned on',
        detail:
          'Signing in now also asks for a code from your authenticator app (or one of your recovery codes).',
      };
    case 'disabled':
      return {
        headline: 'Two-step sign-in was turned off',
        detail: change.byAdmin
          ? 'An administrator turned it off. Signing in no longer asks for a code; you can turn it on again in your settings.'
          : 'Signing in no longer asks for a code from your authenticator app.',
      };
    case 'recovery-code-used':
      return {
        headline: 'A recovery code was used to sign in',
        detail: `One of your recovery codes was used and no longer works. ${change.left === 1 ? '1 code is' : `${change.left} codes are`} left; you can make a new set in your settings.`,
      };
    case 'recovery-codes-replaced':
      return {
        headline: 'You have new recovery codes',
        detail: 'A new set of recovery codes was made: the old ones no longer work.',
      };
  }
}
