import type { BatchWrite } from '../platform/database/write-batches';
import type { User } from '../users/schemas/user.schema';
import type { SignInProof } from './sessions/sessions.service';

/**
 * A sign-in once someone has proved who they are, with what it must write, gathered so that all of
 * it reaches the database in one round trip (SignInWrites). The check that proved it adds its part
 * (a password check: the account's failures set back to zero, the audit event); the door
 * (SignInService.complete) adds the rest (the session, the account's last sign-in).
 */
export class SignInRecord {
  constructor(
    readonly user: User,
    readonly proof: SignInProof,
    /** The check's writes, sent before the session's. */
    readonly writes: readonly BatchWrite[] = [],
  ) {}
}
