import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, PipelineStage, QueryFilter, Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { Migrations } from '../../platform/database/migrations';
import { InsertOneWrite, plainDocument } from '../../platform/database/write-batches';
import type { SecondFactor } from '../two-step/second-factor';
import type { WayIn } from '../methods/sign-in-methods';
import { Session, SessionMethod } from './session.schema';

/** A $lookup that adds to a session, as the array `as`, the records it refers to. */
export type SessionJoin = (as: string) => PipelineStage.Lookup;

/** A session as found, and what its join found for it. */
export interface SessionWith<T> {
  session: Session;
  joined: T[];
}

/** The proof of a sign-in as a session records it. */
export interface ProofFields {
  authenticatedAt: Date;
  method: SessionMethod;
  /** Absent for a password: a provider recorded before is removed. */
  provider?: string;
  /** The passkey of a passkey's proof; absent otherwise: one recorded before is removed. */
  passkey?: { id: string; backedUp: boolean };
  /** Absent without a second factor: one recorded before is removed. */
  secondFactor?: SecondFactor;
}

/** The token a request presented: the current one, or the one a rotation replaced (if still valid). */
export type PresentedToken = { current: string } | { previous: string; validAt: Date };

/** A session's new token, and what becomes of the one it replaces. */
export interface TokenReplacement {
  tokenHash: string;
  /** A fresh sign-in to record with it. */
  proof?: ProofFields;
  /** The replaced token, still accepted until `validUntil`; when absent no earlier token works. */
  previous?: { tokenHash: string; validUntil: Date; authenticatedAt: Date };
}

/** Which of an account's sessions to end. */
export interface SessionsToEnd {
  /** The session that stays (the one making the change). */
  except?: string;
  /** Only those that signed in this way, and those from before the way was recorded. */
  signedInWith?: WayIn;
}

/** A session's public id: 128 random bits, base64url. */
export function newPublicId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The only code that touches the sessions collection. Each method is one operation on it, so that
 * what SessionsService decides happens atomically (a token rotation, a sign-out).
 */
@Injectable()
export class SessionsRepository implements OnModuleInit {
  constructor(
    @InjectModel(Session.name) private readonly sessions: Model<Session>,
    private readonly migrations: Migrations,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.migrations.once('sessions: token hashes and public ids', async () => {
      // Sessions of earlier versions were keyed by their token's hash alone.
      await this.sessions.collection.updateMany({ tokenHash: { $exists: false } }, [
        { $set: { tokenHash: '$_id' } },
      ]);
      // Their `_id` may equal that hash, so they get a public id of their own. One an instance of
      // an earlier version writes later (in a rolling upgrade) gets its id when it is listed.
      const assigned = await this.assignPublicIds({});
      if (assigned > 0)
        new Logger(SessionsRepository.name).log(`Gave ${assigned} sessions a public id`);
    });
    await this.sessions.init();
  }

  /** The record as it will be stored, and its insert (for WriteBatches). */
  building(fields: Session): { session: Session; write: InsertOneWrite } {
    const session = plainDocument(fields);
    return { session, write: { target: this.sessions, insertOne: session } };
  }

  async delete(id: string): Promise<void> {
    await this.sessions.deleteOne({ _id: id }).exec();
  }

  /**
   * The session whose current token hashes to `tokenHash` and what `join` finds for it, if it is
   * live at `now`; one query.
   */
  async findLiveByToken<T>(
    tokenHash: string,
    now: Date,
    join: SessionJoin,
  ): Promise<SessionWith<T> | undefined> {
    return this.findWith<T>({ tokenHash, expiresAt: { $gt: now } }, join);
  }

  /** As findLiveByToken, by the token a rotation replaced, while it is still accepted at `now`. */
  async findLiveByPreviousToken<T>(
    tokenHash: string,
    now: Date,
    join: SessionJoin,
  ): Promise<SessionWith<T> | undefined> {
    return this.findWith<T>(
      { previousTokenHash: tokenHash, previousValidUntil: { $gt: now }, expiresAt: { $gt: now } },
      join,
    );
  }

  /** The session matching `match` (an aggregation's $match: nothing casts or sanitises it). */
  private async findWith<T>(
    match: PipelineStage.Match['$match'],
    join: SessionJoin,
  ): Promise<SessionWith<T> | undefined> {
    // The driver's own aggregate: mongoose's Aggregate adds nothing to a lean read but CPU, on
    // the read every signed-in request makes.
    const [found] = await this.sessions.collection
      .aggregate<Session & { _joined: T[] }>([{ $match: match }, { $limit: 1 }, join('_joined')])
      .toArray();
    if (!found) return undefined;
    const { _joined: joined, ...session } = found;
    return { session, joined };
  }

  /** Records that the session was used at `lastSeenAt`, and its new idle expiry. */
  async touch(id: string, lastSeenAt: Date, expiresAt: Date): Promise<void> {
    await this.sessions.updateOne({ _id: id }, { $set: { lastSeenAt, expiresAt } }).exec();
  }

  /**
   * Gives the session a new token in one update, only while it still has the token `presented`;
   * returns whether it did (false: another request changed the token first).
   */
  async replaceToken(
    id: string,
    presented: PresentedToken,
    { tokenHash, proof, previous }: TokenReplacement,
  ): Promise<boolean> {
    const holding =
      'current' in presented
        ? { tokenHash: presented.current }
        : {
            previousTokenHash: presented.previous,
            previousValidUntil: mongoose.trusted({ $gt: presented.validAt }),
          };
    const set: Record<string, unknown> = { tokenHash, ...(proof && proofSet(proof)) };
    const unset: Record<string, 1> = {};
    if (previous) {
      Object.assign(set, {
        previousTokenHash: previous.tokenHash,
        previousValidUntil: previous.validUntil,
        previousAuthenticatedAt: previous.authenticatedAt,
      });
    } else {
      Object.assign(unset, {
        previousTokenHash: 1,
        previousValidUntil: 1,
        previousAuthenticatedAt: 1,
      });
    }
    if (proof) Object.assign(unset, proofUnset(proof));
    const result = await this.sessions
      .updateOne(
        { _id: id, ...holding },
        { $set: set, ...(Object.keys(unset).length > 0 && { $unset: unset }) },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** Records a fresh sign-in in the session, its token unchanged. */
  async recordProof(id: string, proof: ProofFields): Promise<void> {
    const unset = proofUnset(proof);
    await this.sessions
      .updateOne(
        { _id: id },
        { $set: proofSet(proof), ...(Object.keys(unset).length > 0 && { $unset: unset }) },
      )
      .exec();
  }

  /**
   * Deletes the session whose current token, or the one a rotation replaced, hashes to
   * `tokenHash`; returns its account's id, or undefined when there was none.
   */
  async deleteByToken(tokenHash: string): Promise<Types.ObjectId | undefined> {
    const ended = await this.sessions
      .findOneAndDelete(
        { $or: [{ tokenHash }, { previousTokenHash: tokenHash }] },
        { projection: { userId: 1 } },
      )
      .lean<Pick<Session, 'userId'>>()
      .exec();
    return ended?.userId;
  }

  /** Deletes the account's sessions that `which` names (all by default); returns how many. */
  async deleteOfUser(userId: Types.ObjectId, which: SessionsToEnd = {}): Promise<number> {
    const filter: QueryFilter<Session> = { userId };
    if (which.except !== undefined) filter._id = mongoose.trusted({ $ne: which.except });
    const way = which.signedInWith;
    if (way) {
      // A session from before the method was recorded may have signed in that way: it ends too.
      filter.$or = [...signedInThatWay(way), { method: mongoose.trusted({ $exists: false }) }];
    }
    const { deletedCount } = await this.sessions.deleteMany(filter).exec();
    return deletedCount;
  }

  async countLive(userId: Types.ObjectId, now: Date): Promise<number> {
    return this.sessions
      .countDocuments({ userId, expiresAt: mongoose.trusted({ $gt: now }) })
      .exec();
  }

  /** The account's sessions live at `now`, newest first. */
  async findLive(userId: Types.ObjectId, now: Date): Promise<Session[]> {
    return this.sessions
      .find({ userId, expiresAt: mongoose.trusted({ $gt: now }) })
      .sort({ createdAt: -1, _id: -1 })
      .lean<Session[]>()
      .exec();
  }

  /** Deletes the account's session with that public id if it is live at `now`, and returns it. */
  async deleteLiveByPublicId(
    userId: Types.ObjectId,
    publicId: string,
    now: Date,
  ): Promise<Session | null> {
    return this.sessions
      .findOneAndDelete({ userId, publicId, expiresAt: mongoose.trusted({ $gt: now }) })
      .lean<Session>()
      .exec();
  }

  /**
   * Gives every session matching `filter` that has no public id one; returns how many it gave one.
   * Idempotent, and safe when several instances do it at once.
   */
  async assignPublicIds(filter: { userId?: Types.ObjectId }): Promise<number> {
    const unset = { publicId: mongoose.trusted({ $exists: false }) };
    const missing = this.sessions
      .find({ ...filter, ...unset }, { _id: 1 })
      .lean<{ _id: string }>()
      .cursor();
    let assigned = 0;
    for await (const { _id } of missing) {
      const result = await this.sessions
        .updateOne({ _id, ...unset }, { $set: { publicId: newPublicId() } })
        .exec();
      assigned += result.modifiedCount;
    }
    return assigned;
  }
}

function proofSet({ authenticatedAt, method, provider, passkey, secondFactor }: ProofFields) {
  return {
    authenticatedAt,
    method,
    ...(provider && { provider }),
    ...(passkey && { passkey: passkey.id, passkeyBackedUp: passkey.backedUp }),
    ...(secondFactor && { secondFactor }),
  };
}

/** What an earlier sign-in recorded that this proof does not have: it must not linger beside it. */
function proofUnset({ provider, passkey, secondFactor }: ProofFields): Record<string, 1> {
  return {
    ...(!provider && { provider: 1 }),
    ...(!passkey && { passkey: 1, passkeyBackedUp: 1 }),
    ...(!secondFactor && { secondFactor: 1 }),
  };
}

/** The sessions that signed in with `way`; for a passkey, also those from before its id was recorded. */
function signedInThatWay(way: WayIn): QueryFilter<Session>[] {
  switch (way.method) {
    case 'password':
      return [{ method: 'password' }];
    case 'provider':
      return [{ method: 'provider', provider: way.provider }];
    case 'passkey':
      return [
        { method: 'passkey', passkey: way.id },
        { method: 'passkey', passkey: mongoose.trusted({ $exists: false }) },
      ];
  }
}
