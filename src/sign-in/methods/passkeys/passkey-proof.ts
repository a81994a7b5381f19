import type { Passkey } from '../../../users/schemas/user.schema';
import type { SignInProof } from '../../sessions/sessions.service';

/**
 * The proof of a sign-in (or re-authentication) with `passkey`: the session records which one,
 * so that removing it ends the session, and whether it was synced, for the apps' `amr`.
 */
export function passkeyProof({ id, backedUp }: Pick<Passkey, 'id' | 'backedUp'>): SignInProof {
  return { method: 'passkey', passkey: { id, backedUp } };
}
