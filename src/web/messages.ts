/** Words for the codes that reach pages: confirmations after an action, and errors. */
export const NOTICES: Record<string, string> = {
  'signed-out': 'You are signed out.',
  'profile-saved': 'Your profile is saved.',
  'email-change-pending':
    'We sent a link to your new email address. Your email changes once you open it.',
  'password-changed': 'Your password is changed. Your other sessions were signed out.',
  'password-set': 'Your password is set. You can now sign in with it.',
  'password-removed': 'Your password is removed. You sign in with your connected providers.',
  'provider-linked': 'The provider is connected. You can now sign in with it.',
  'provider-unlinked': 'The provider is disconnected.',
  'session-ended': 'That session is signed out.',
  'other-sessions-ended': 'You are signed out everywhere else.',
  'app-removed':
    'The app no longer has access to your account: its tokens stop working, and it asks you again the next time.',
  'account-deleted': 'Your account and everything in it are deleted.',
  registered: 'Welcome! Your account is ready.',
  'registered-profile-unsaved':
    'Welcome! Your account is ready, but your name could not be saved with it: please fill it in below.',
  'passkey-added': 'Your passkey is added. You can now sign in with it.',
  'passkey-renamed': 'Your passkey is renamed.',
  'passkey-removed': 'Your passkey is removed. It no longer signs in to this account.',
  'two-step-disabled':
    'Two-step sign-in is off: signing in asks for no code now, and your recovery codes no longer work.',
  'signed-in': 'You are signed in.',
  'two-factors-asked':
    'The app you are signing in to asks for a stronger sign-in: please sign in with a passkey.',
  reauthenticated: "Thanks, that's confirmed. You can now make your change.",
  'email-verified': 'Your email address is confirmed.',
  'email-verified-signed-out':
    'Your email address is confirmed. For your safety the account was signed out everywhere: please sign in again.',
  'email-change-cancelled': 'The email change is cancelled.',
  'verification-sent': 'We sent the link again. Please check your mail.',
  'recovery-sent':
    'If an account has that email address, a link to choose a new password is on its way. It works for a short while only.',
  'password-reset': 'Your new password is set, and every device was signed out. Please sign in.',
};

export const ERRORS: Record<string, string> = {
  SECOND_FACTOR_REQUIRED:
    'Your account has two-step sign-in: confirm it is you with your password (if you have one) and a code from your authenticator app.',
  SECOND_STEP_EXPIRED:
    'Your sign-in stopped waiting for a code: it lasts 5 minutes, and ends after 5 wrong codes. Please start again: sign in below, then enter a new code.',
  STATE_MISMATCH:
    'That sign-in could not be matched to this browser, or it was already used. Please start again.',
  CODE_REJECTED: 'The provider did not accept that sign-in; it may have expired. Please try again.',
  PROVIDER_DENIED: 'The sign-in was cancelled at the provider.',
  PROVIDER_ERROR: 'The provider answered in an unexpected way. Please try again later.',
  PROVIDER_UNAVAILABLE: 'The provider is not answering right now. Please try again later.',
  INVALID_ID_TOKEN: "The provider's answer could not be verified, so it was refused.",
  UNKNOWN_PROVIDER: 'That sign-in provider is not available.',
  EMAIL_BELONGS_TO_ANOTHER_ACCOUNT:
    'An account with that email address already exists. Sign in to it with its password, then connect the provider from your settings.',
  IDENTITY_LINKED_ELSEWHERE:
    'That provider account is already connected to another account. Disconnect it there first.',
  PROVIDER_ALREADY_LINKED:
    'Your account is already connected to a different account of that provider. Disconnect it first.',
  SIGN_IN_CHANGED: 'You signed out or switched accounts while connecting, so nothing was changed.',
  UNAUTHENTICATED: 'Please sign in first.',
  ACCOUNT_DISABLED:
    'This account is disabled, so it cannot sign in. Contact the people who run this service.',
  IDENTITY_MISMATCH:
    'That provider account is not connected to your account, so it could not confirm it is you.',
  VALIDATION_FAILED: 'That sign-in link was not valid. Please start again.',
};

export function noticeText(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(NOTICES, code) ? NOTICES[code] : undefined;
}

export function errorText(code: unknown): string | undefined {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code) ? ERRORS[code] : undefined;
}
