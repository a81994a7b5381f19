import type { SignInMethods } from '../sign-in/methods/sign-in-methods';
import type { User } from '../users/schemas/user.schema';
import { PageTime, pageTime } from './session-rows';

/** A passkey as the settings page lists it. */
export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: PageTime;
  lastUsedAt: PageTime | null;
  backedUp: boolean;
  /** False when it is the account's last way in: its Remove button is off, and says why. */
  canRemove: boolean;
}

/** The account's passkeys, in the order they were added, as the settings page shows them. */
export function passkeyRows(user: User, methods: SignInMethods): PasskeyRow[] {
  return (user.passkeys ?? []).map((passkey) => ({
    id: passkey.id,
    name: passkey.name,
    createdAt: pageTime(passkey.createdAt),
    lastUsedAt: passkey.lastUsedAt ? pageTime(passkey.lastUsedAt) : null,
    backedUp: passkey.backedUp,
    canRemove: methods.canSignInWithout(user, { method: 'passkey', id: passkey.id }),
  }));
}
