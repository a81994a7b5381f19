import { Inject, Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../platform/http/app-error';
import { Transactions } from '../../platform/database/transactions';
import { InsertOneWrite } from '../../platform/database/write-batches';
import { EventsService } from '../../audit/events/events.service';
import { AppSignIns } from '../app-sign-ins';
import type { WayIn } from '../methods/sign-in-methods';
import { Session, SessionMethod } from './session.schema';
import type { SecondFactor } from '../two-step/second-factor';
import {
  newPublicId,
  PresentedToken,
  ProofFields,
  SessionJoin,
  SessionsRepository,
} from './sessions.repository';
import { SignInConfig, signInConfig } from '../sign-in-config';

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
  /** The passkey used, for method 'passkey': its public id and whether it was synced. */
  passkey?: { id: string; backedUp: boolean };
  /** The second factor given with it (two-step sign-in). */
  secondFactor?: SecondFactor;
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

/** A live session as a request presented it. */
export interface ActiveSession extends Session {
  /** False when the request carried the token a rotation replaced (within its grace period). */
  tokenIsCurrent: boolean;
}

/**
 * Server-side sessions in MongoDB: any instance can serve any request, and revoking is deleting.
 * The rules (lifetimes, rotation, what ends when) are here; SessionsRepository stores them.
 */
@Injectable()
export class SessionsService {
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly recentMs: number;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly appSignIns: AppSignIns,
    private readonly events: EventsService,
    private readonly transactions: Transactions,
    @Inject(signInConfig.KEY) config: SignInConfig,
  ) {
    this.idleMs = config.SESSION_IDLE_TIMEOUT_SECONDS * 1000;
    this.absoluteMs = config.SESSION_ABSOLUTE_TIMEOUT_SECONDS * 1000;
    this.recentMs = config.RECENT_SIGN_IN_SECONDS * 1000;
  }

  get absoluteLifetimeMs(): number {
    return this.absoluteMs;
  }

  /**
   * A new session, to be inserted with the sign-in's other writes (`write`, for WriteBatches): its
   * token for the cookie and the record as it will be stored.
   */
  starting(
    userId: Types.ObjectId,
    proof: SignInProof,
    client: SessionClient = {},
  ): StartingSession {
    const token = newToken();
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.absoluteMs);
    const { session, write } = this.sessions.building({
      _id: randomBytes(16).toString('base64url'),
      publicId: newPublicId(),
      tokenHash: hashToken(token),
      userId,
      createdAt: now,
      authenticatedAt: now,
      method: proof.method,
      provider: proof.provider,
      passkey: proof.passkey?.id,
      passkeyBackedUp: proof.passkey?.backedUp,
      secondFactor: proof.secondFactor,
      lastSeenAt: now,
      expiresAt: new Date(Math.min(now.getTime() + this.idleMs, absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
      userAgent: client.userAgent?.slice(0, 256),
      // request.ip is whatever the trusted proxy forwarded, not necessarily an address.
      ip: client.ip?.slice(0, 64),
    });
    return { token, session, write };
  }

  /** Removes a session that must not have started (its account was disabled meanwhile). */
  async discard(id: string): Promise<void> {
    await this.sessions.delete(id);
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
    const current = await this.sessions.findLiveByToken<T>(hash, now, join);
    const previous = current
      ? undefined
      : await this.sessions.findLiveByPreviousToken<T>(hash, now, join);
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
    await this.sessions.touch(session._id, now, expiresAt);
    return { session: { ...active, lastSeenAt: now, expiresAt }, joined };
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
      if (proof) await this.sessions.recordProof(session._id, proofFields(proof, now));
      return undefined;
    }
    // A security event through a replaced token still within its grace ends both: whoever holds
    // the current one (who rotated it) may not be this browser.
    const presented: PresentedToken = session.tokenIsCurrent
      ? { current: session.tokenHash }
      : { previous: session.previousTokenHash!, validAt: now };
    const token = newToken();
    const replaced = await this.sessions.replaceToken(session._id, presented, {
      tokenHash: hashToken(token),
      proof: proof && proofFields(proof, now),
      previous: securityEvent
        ? undefined
        : {
            tokenHash: session.tokenHash,
            validUntil: new Date(now.getTime() + ROTATION_GRACE_MS),
            authenticatedAt: session.authenticatedAt,
          },
    });
    return replaced ? token : undefined;
  }

  /** Ends the session a token belongs to (also by a token a rotation replaced). */
  async end(token: string): Promise<void> {
    await this.sessions.deleteByToken(hashToken(token));
  }

  /**
   * Signs a browser out: ends the session its token belongs to (also by a token a rotation
   * replaced) and the provider's sessions of its account, so that no app signs anyone in on the
   * strength of a provider session left behind. The apps' grants and tokens stay.
   */
  async signOut(token: string): Promise<void> {
    const userId = await this.sessions.deleteByToken(hashToken(token));
    if (userId) await this.appSignIns.endSessions(userId.toHexString());
  }

  /**
   * Ends the account's sessions but `keep` (none is kept when it is undefined: an admin's change):
   * those that signed in with `wayIn` (a removed way in: the password, a provider, a passkey), or
   * all of them (a changed password, signing out everywhere), which also revokes what the apps
   * signed in through this service hold.
   */
  async endOthers(
    userId: Types.ObjectId,
    keep: string | undefined,
    wayIn?: WayIn,
  ): Promise<number> {
    const deletedCount = await this.sessions.deleteOfUser(userId, {
      except: keep,
      signedInWith: wayIn,
    });
    if (!wayIn) await this.appSignIns.revokeAccount(userId.toHexString());
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
    await this.sessions.deleteOfUser(userId);
    await this.appSignIns.revokeAccount(userId.toHexString());
  }

  /** How many live sessions the user has. */
  async countLive(userId: Types.ObjectId): Promise<number> {
    return this.sessions.countLive(userId, new Date());
  }

  /** The user's live sessions, newest first, each with its public id. */
  async list(userId: Types.ObjectId): Promise<Array<Session & { publicId: string }>> {
    let sessions = await this.sessions.findLive(userId, new Date());
    // An instance of an earlier version, during a rolling update, writes sessions without one.
    if (sessions.some(({ publicId }) => publicId === undefined)) {
      await this.sessions.assignPublicIds({ userId });
      sessions = await this.sessions.findLive(userId, new Date());
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
        const session = await this.sessions.deleteLiveByPublicId(userId, publicId, new Date());
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
}

function proofFields(proof: SignInProof, now: Date): ProofFields {
  return {
    authenticatedAt: now,
    method: proof.method,
    provider: proof.provider,
    passkey: proof.passkey,
    secondFactor: proof.secondFactor,
  };
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
