import { Injectable } from '@nestjs/common';
import { userActor } from '../audit/events/event.schema';
import { EventsService } from '../audit/events/events.service';
import { BatchWriteFailed, InsertOneWrite, WriteBatches } from '../platform/database/write-batches';
import { UsersRepository } from '../users/users.repository';
import { accountDisabledError } from './account-disabled';
import { SessionClient, SessionsService, StartingSession } from './sessions/sessions.service';
import { SignInRecord } from './sign-in-record';

/**
 * What a sign-in writes once someone has proved who they are: the check's part (SignInRecord), its
 * audit event, a new session and the account's last sign-in, in one round trip where the server allows it
 * (WriteBatches: MongoDB 8.0+), else one write after another.
 */
@Injectable()
export class SignInWrites {
  constructor(
    private readonly batches: WriteBatches,
    private readonly sessions: SessionsService,
    private readonly users: UsersRepository,
    private readonly events: EventsService,
  ) {}

  /**
   * Writes `record` with a new session for its user, and returns the session. The account's
   * update goes last: it is the one a validator may refuse (a record edited by hand), and a
   * refusal stops the writes after it. ACCOUNT_DISABLED, and no session, when the account was
   * disabled meanwhile (the update's filter says so).
   */
  async write(record: SignInRecord, client: SessionClient): Promise<StartingSession> {
    const { user, proof } = record;
    const started = this.sessions.starting(user._id, proof, client);
    const event = record.audited ? [this.signInEvent(record)] : [];
    const writes = [
      ...record.writes,
      ...event,
      started.write,
      this.users.recordingSignIn(user._id),
    ];
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

  /** `sign_in.succeeded`, saying how: the method, its provider, and the second factor if any. */
  private signInEvent({ user, proof }: SignInRecord): InsertOneWrite {
    return this.events.recording({
      type: 'sign_in.succeeded',
      userId: user._id,
      actor: userActor(user._id),
      details: {
        method: proof.method,
        ...(proof.provider && { provider: proof.provider }),
        ...(proof.secondFactor && { secondFactor: proof.secondFactor }),
      },
    });
  }
}
