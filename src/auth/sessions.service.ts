import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, PipelineStage, QueryFilter, Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Migrations } from '../database/migrations';
import { Transactions } from '../database/transactions';
import { buildDocument, InsertOneWrite } from '../database/write-batches';
import { EventsService } from '../events/events.service';
import { AppSignIns } from './app-sign-ins';
import { Session, SessionMethod } from './schemas/session.schema';

/** Only refresh the idle expiry once a minute, so reading a session is usually one query. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * How long a token replaced by a routine rotation still works: long enough for requests the browser
 * sent before it received the new cookie, short enough to be worthless later. A rotation after a
 * security event leaves none.
 */
export const ROTATION_GRACE_MS = 30_000;

/** How someone proved who they are. */
export interface SignInProof {
  method: SessionMethod;
  /** The provider's key, for method 'provider'. */
  provider?: string;
}

/** Where a sign-in came from, as the account's owner sees it in their list of sessions. */
export interface SessionClient {
  userAgent?: string;
  ip?: string;
}

/** A session's public id: 128 random bits, base64url. */
const PUBLIC_ID = /^[A-Za-z0-9_-]{22}$/;

export interface StartingSession {
  token: string;
  session: Session;
  /** The session's insert. */
  write: InsertOneWrite;
}

/** Why a session's token changes. */
export interface TokenChange {
  /** A fresh sign-in to record (re-authentication). */
  proof?: SignInProof;
  /**
   * After a security event (the password changed, set or removed; re-authentication) the replaced
   * token stops at once: whoever held it before the event must not keep it. Otherwise (a routine
   * rotation) it keeps working for ROTATION_GRACE_MS, for requests sent in parallel.
   */
  securityEvent: boolean;
}

/** A $lookup that adds to a session, as the array `as`, the records it refers to. */
export type SessionJoin = (as: string) => PipelineStage.Lookup;

/** A live session as a request presented it. */
export interface ActiveSession extends Session {
  /** False when the request carried the token a rotation replaced (within its grace period). */
  tokenIsCurrent: boolean;
}

/** Server-side sessions in MongoDB: any instance can serve any request, and revoking is deleting. */
@Injectable()
export class SessionsService implements OnModuleInit {
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly recentMs: number;

  constructor(
    @InjectModel(Session.name) private readonly sessions: Model<Session>,
    private readonly appSignIns: AppSignIns,
    private readonly events: EventsService,
    private readonly transactions: Transactions,
    private readonly migrations: Migrations,
    config: AppConfig,
  ) {
    this.idleMs = config.SESSION_IDLE_TIMEOUT_SECONDS * 1000;
    this.absoluteMs = config.SESSION_ABSOLUTE_TIMEOUT_SECONDS * 1000;
    this.recentMs = config.RECENT_SIGN_IN_SECONDS * 1000;
  }

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
        new Logger(SessionsService.name).log(`Gave ${assigned} sessions a public id`);
    });
    await this.sessions.init();
  }

  get absoluteLifetimeMs(): number {
    return this.absoluteMs;
  }

  /**
   * A new session, to be inserted with the sign-in's other writes (`write`, for WriteBatches): its
   * token for the cookie and the record as it will be stored, built and validated now.
   */
  async starting(
    userId: Types.ObjectId,
    proof: SignInProof,
    client: SessionClient = {},
  ): Promise<StartingSession> {
    const token = newToken();
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.absoluteMs);
    const session = await buildDocument(this.sessions, {
      _id: randomBytes(16).toString('base64url'),
      publicId: newPublicId(),
      tokenHash: hashToken(token),
      userId,
      createdAt: now,
      authenticatedAt: now,
      method: proof.method,
      provider: proof.provider,
      lastSeenAt: now,
      expiresAt: new Date(Math.min(now.getTime() + this.idleMs, absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
      userAgent: client.userAgent?.slice(0, 256),
      // request.ip is whatever the trusted proxy forwarded, not necessarily an address.
      ip: client.ip?.slice(0, 64),
    });
    return { token, session, write: { target: this.sessions, insertOne: session } };
  }

  /** Removes a session that must not have started (its account was disabled meanwhile). */
  async discard(id: string): Promise<void> {
    await this.sessions.deleteOne({ _id: id }).exec();
  }

  /**
   * The live session behind a token, its idle expiry pushed forward, and what `join` finds for
   * it, read in one query; null when the token is unknown or expired. A token a rotation
   * replaced, still within its grace period, takes a second query.
   */
  async resolve<T>(
    token: string,
    join: SessionJoin,
  ): Promise<{ session: ActiveSession; joined: T[] } | null> {
    const now = new Date();
    const hash = hashToken(token);
    const live = { expiresAt: { $gt: now } };
    const current = await this.findWith<T>({ tokenHash: hash, ...live }, join);
    const previous = current
      ? undefined
      : await this.findWith<T>(
          { previousTokenHash: hash, previousValidUntil: { $gt: now }, ...live },
          join,
        );
    const found = current ?? previous;
    if (!found) return null;
    const { session, joined } = found;
    const active: ActiveSession = current
      ? { ...session, tokenIsCurrent: true }
      : {
          ...session,
          tokenIsCurrent: false,
          authenticatedAt: session.previousAuthenticatedAt ?? session.authenticatedAt,
        };
    if (now.getTime() - session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) {
      return { session: active, joined };
    }
    const expiresAt = new Date(
      Math.min(now.getTime() + this.idleMs, session.absoluteExpiresAt.getTime()),
    );
    await this.sessions
      .updateOne({ _id: session._id }, { $set: { lastSeenAt: now, expiresAt } })
      .exec();
    return { session: { ...active, lastSeenAt: now, expiresAt }, joined };
  }

  /** The session matching `match` (an aggregation's $match: nothing casts or sanitises it). */
  private async findWith<T>(
    match: PipelineStage.Match['$match'],
    join: SessionJoin,
  ): Promise<{ session: Session; joined: T[] } | undefined> {
    const [found] = await this.sessions
      .aggregate<Session & { _joined: T[] }>([{ $match: match }, { $limit: 1 }, join('_joined')])
      .exec();
    if (!found) return undefined;
    const { _joined: joined, ...session } = found;
    return { session, joined };
  }

  /** Whether the session's person proved who they are within RECENT_SIGN_IN_SECONDS. */
  isRecent(session: Session): boolean {
    return Date.now() <= this.recentUntil(session.authenticatedAt).getTime();
  }

  /** Until when a sign-in at `authenticatedAt` counts as recent. */
  recentUntil(authenticatedAt: Date): Date {
    return new Date(authenticatedAt.getTime() + this.recentMs);
  }

  /**
   * Gives the session a new token, and with `proof` records a fresh sign-in. After a security event
   * the replaced token stops at once, in the same update; otherwise it keeps working for
   * ROTATION_GRACE_MS. Returns the new token, or undefined when another request changed the token
   * first: its response brings the browser the current cookie, which must not be replaced by an
   * older one.
   */
  async rotate(
    session: ActiveSession,
    { proof, securityEvent }: TokenChange,
  ): Promise<string | undefined> {
    const now = new Date();
    if (!session.tokenIsCurrent && !securityEvent) {
      if (proof) await this.recordProof(session._id, proof, now);
      return undefined;
    }
    // A security event through a replaced token still within its grace ends both: whoever holds
    // the current one (who rotated it) may not be this browser.
    const presented = session.tokenIsCurrent
      ? { tokenHash: session.tokenHash }
      : {
          previousTokenHash: session.previousTokenHash,
          previousValidUntil: mongoose.trusted({ $gt: now }),
        };
    const token = newToken();
    const set: Record<string, unknown> = {
      tokenHash: hashToken(token),
      ...(proof && proofFields(proof, now)),
    };
    const unset: Record<string, 1> = {};
    if (securityEvent) {
      Object.assign(unset, {
        previousTokenHash: 1,
        previousValidUntil: 1,
        previousAuthenticatedAt: 1,
      });
    } else {
      Object.assign(set, {
        previousTokenHash: session.tokenHash,
        previousValidUntil: new Date(now.getTime() + ROTATION_GRACE_MS),
        previousAuthenticatedAt: session.authenticatedAt,
      });
    }
    if (proof && !proof.provider) unset.provider = 1;
    const result = await this.sessions
      .updateOne(
        { _id: session._id, ...presented },
        { $set: set, ...(Object.keys(unset).length > 0 && { $unset: unset }) },
      )
      .exec();
    return result.modifiedCount === 1 ? token : undefined;
  }

  /** Ends the session a token belongs to (also by a token a rotation replaced). */
  async end(token: string): Promise<void> {
    const hash = hashToken(token);
    await this.sessions
      .deleteOne({ $or: [{ tokenHash: hash }, { previousTokenHash: hash }] })
      .exec();
  }

  /**
   * Signs a browser out: ends the session its token belongs to (also by a token a rotation
   * replaced) and the provider's sessions of its account, so that no app signs anyone in on the
   * strength of a provider session left behind. The apps' grants and tokens stay.
   */
  async signOut(token: string): Promise<void> {
    const hash = hashToken(token);
    const ended = await this.sessions
      .findOneAndDelete(
        { $or: [{ tokenHash: hash }, { previousTokenHash: hash }] },
        { projection: { userId: 1 } },
      )
      .lean<Pick<Session, 'userId'>>()
      .exec();
    if (ended) await this.appSignIns.endSessions(ended.userId.toHexString());
  }

  /**
   * Ends the account's sessions but `keep` (none is kept when it is undefined: an admin's change):
   * those that signed in with `proof` (a removed way in), or all of them (a changed password,
   * signing out everywhere), which also revokes what the apps signed in through this service hold.
   */
  async endOthers(
    userId: Types.ObjectId,
    keep: string | undefined,
    proof?: SignInProof,
  ): Promise<number> {
    const filter: QueryFilter<Session> = { userId };
    if (keep !== undefined) filter._id = mongoose.trusted({ $ne: keep });
    if (proof) {
      const signedInThatWay = proof.provider
        ? { method: proof.method, provider: proof.provider }
        : { method: proof.method };
      // A session from before the method was recorded may have signed in that way: it ends too.
      filter.$or = [signedInThatWay, { method: mongoose.trusted({ $exists: false }) }];
    }
    const { deletedCount } = await this.sessions.deleteMany(filter).exec();
    if (!proof) await this.appSignIns.revokeAccount(userId.toHexString());
    return deletedCount;
  }

  /** "Sign out everywhere else": the owner ends every other session of the account. */
  async revokeOthers(userId: Types.ObjectId, keep: string): Promise<void> {
    await this.transactions.run(async () => {
      const count = await this.endOthers(userId, keep);
      await this.events.record({
        type: 'session.revoked',
        userId,
        details: { scope: 'others', count },
      });
    });
  }

  /** Ends every session of the account, and revokes what its apps hold. */
  async endAll(userId: Types.ObjectId): Promise<void> {
    await this.sessions.deleteMany({ userId }).exec();
    await this.appSignIns.revokeAccount(userId.toHexString());
  }

  /** How many live sessions the user has. */
  async countLive(userId: Types.ObjectId): Promise<number> {
    return this.sessions
      .countDocuments({ userId, expiresAt: mongoose.trusted({ $gt: new Date() }) })
      .exec();
  }

  /** The user's live sessions, newest first, each with its public id. */
  async list(userId: Types.ObjectId): Promise<Array<Session & { publicId: string }>> {
    const find = () =>
      this.sessions
        .find({ userId, expiresAt: mongoose.trusted({ $gt: new Date() }) })
        .sort({ createdAt: -1, _id: -1 })
        .lean<Session[]>()
        .exec();
    let sessions = await find();
    // An instance of an earlier version, during a rolling update, writes sessions without one.
    if (sessions.some(({ publicId }) => publicId === undefined)) {
      await this.assignPublicIds({ userId });
      sessions = await find();
    }
    return sessions.filter((session): session is Session & { publicId: string } =>
      Boolean(session.publicId),
    );
  }

  /**
   * Ends one of the user's sessions by its public id and returns it; SESSION_NOT_FOUND when the
   * user has no such session (someone else's is as unknown as one that never existed).
   */
  async endOne(userId: Types.ObjectId, publicId: string): Promise<Session> {
    const ended =
      PUBLIC_ID.test(publicId) &&
      (await this.transactions.run(async () => {
        const session = await this.sessions
          .findOneAndDelete({ userId, publicId, expiresAt: mongoose.trusted({ $gt: new Date() }) })
          .lean<Session>()
          .exec();
        if (session) {
          await this.events.record({
            type: 'session.revoked',
            userId,
            details: { scope: 'one' },
          });
        }
        return session;
      }));
    if (!ended) {
      throw new AppError(
        'SESSION_NOT_FOUND',
        'You have no session with that id. It may have ended already.',
      );
    }
    return ended;
  }

  /**
   * Gives every session matching `filter` that has no public id one; returns how many it gave one.
   * Idempotent, and safe when several instances do it at once.
   */
  private async assignPublicIds(filter: { userId?: Types.ObjectId }): Promise<number> {
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

  private async recordProof(id: string, proof: SignInProof, now: Date): Promise<void> {
    await this.sessions.updateOne({ _id: id }, { $set: proofFields(proof, now) }).exec();
  }
}

function proofFields(proof: SignInProof, now: Date) {
  return {
    authenticatedAt: now,
    method: proof.method,
    ...(proof.provider && { provider: proof.provider }),
  };
}

function newPublicId(): string {
  return randomBytes(16).toString('base64url');
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
