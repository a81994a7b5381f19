import type { BatchWrite } from '../platform/database/write-batches';
import type { User } from '../users/schemas/user.schema';
import type { SignInProof } from './sessions/sessions.service';

/**
 * A sign-in once someone has proved who they are, with what it must write, gathered so that all of
 * it reaches the database in one round trip (SignInWrites). The check that proved it adds its part
 * (a password check: the account's failures set back to zero); the door (SignInService.complete)
 * adds the rest (the session, the account's last sign-in, and the `sign_in.succeeded` event when
 * `audited`), or, when a second step must follow, only the check's part.
 */
export class SignInRecord {
  constructor(
    readonly user: User,
    readonly proof: SignInProof,
    /** The check's writes, sent before the session's. */
    readonly writes: readonly BatchWrite[] = [],
    /**
     * Whether the session's start is a sign-in for the audit log (`sign_in.succeeded`, with the
     * proof's method): false for a new account's first session, which `user.created` records.
     */
    readonly audited = false,
  ) {}
}
