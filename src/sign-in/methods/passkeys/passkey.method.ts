import mongoose from 'mongoose';
import type { SignInMethod } from '../sign-in-method';

/** An account may hold several passkeys: each one's public id tells them apart. */
export interface PasskeyInstance {
  id: string;
}

/**
 * The account's passkeys (WebAuthn credentials), one way in each. A passkey proves both that the
 * person holds the device and that the device verified them (user verification is required), so a
 * session it starts counts as two factors. Its `amr` (RFC 8176) is `hwk`, a key bound to its
 * hardware (a security key, a platform authenticator that does not sync), or `swk` for a synced
 * one (backed up: its key exists beyond the device), with `user` for the verification. A session
 * from before it was recorded claims the lesser, `swk`.
 */
export const passkeyMethod = {
  key: 'passkey',
  amr: ({ passkeyBackedUp }) => [passkeyBackedUp === false ? 'hwk' : 'swk', 'user'],
  twoFactorsAlone: true,
  metricsLabel: () => 'passkey',
  label: () => 'Passkey',
  keeps: (user, _enabled, except) =>
    (user.passkeys ?? []).some(({ id }) => typeof id === 'string' && id !== except?.id),
  keepsFilter: (_enabled, except) => ({
    passkeys: mongoose.trusted({
      $elemMatch:
        except === undefined
          ? { id: { $type: 'string' } }
          : { id: { $type: 'string', $ne: except.id } },
    }),
  }),
} as const satisfies SignInMethod<'passkey', PasskeyInstance>;
