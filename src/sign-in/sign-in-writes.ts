import { Injectable } from '@nestjs/common';
import { BatchWriteFailed, WriteBatches } from '../platform/database/write-batches';
import { UsersRepository } from '../users/users.repository';
import { accountDisabledError } from './account-disabled';
import { SessionClient, SessionsService, StartingSession } from './sessions/sessions.service';
import { SignInRecord } from './sign-in-record';

/**
 * What a sign-in writes once someone has proved who they are: the check's part (SignInRecord), a
 * new session and the account's last sign-in, in one round trip where the server allows it
 * (WriteBatches: MongoDB 8.0+), else one write after another.
 */
@Injectable()
export class SignInWrites {
  constructor(
    private readonly batches: WriteBatches,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
  ) {}

  /**
   * Writes `record` with a new session for its user, and returns the session. The account's
   * update goes last: it is the one a validator may refuse (a record edited by hand), and a
   * refusal stops the writes after it. ACCOUNT_DISABLED, and no session, when the account was
   * disabled meanwhile (the update's filter says so).
   */
  async write(record: SignInRecord, client: SessionClient): Promise<StartingSession> {
    const { user, proof } = record;
    const started = await this.sessions.starting(user._id, proof, client);
    const writes = [...record.writes, started.write, this.users.recordingSignIn(user._id)];
    const last = writes.length - 1;
    let enabled: boolean;
    try {
      const outcomes = await this.batches.write(writes);
      enabled = outcomes[last].matchedCount === 1;
    } catch (error) {
      if (!(error instanceof BatchWriteFailed) || error.index !== last) throw error;
      const unrecorded = await this.users.signsInUnrecorded(user._id, error.code);
      if (unrecorded === undefined) throw error;
      enabled = unrecorded;
    }
    if (!enabled) {
      await this.sessions.discard(started.session._id);
      throw accountDisabledError();
    }
    return started;
  }
}
