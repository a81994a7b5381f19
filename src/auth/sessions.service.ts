import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import mongoose, { Model, Types } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { Session } from './schemas/session.schema';

/** Only refresh the idle expiry once a minute, so reading a session is usually one query. */
const TOUCH_INTERVAL_MS = 60_000;

export interface StartedSession {
  token: string;
  session: Session;
}

/** Server-side sessions in MongoDB: any instance can serve any request, and revoking is deleting. */
@Injectable()
export class SessionsService implements OnModuleInit {
  private readonly idleMs: number;
  private readonly absoluteMs: number;

  constructor(
    @InjectModel(Session.name) private readonly sessions: Model<Session>,
    config: AppConfig,
  ) {
    this.idleMs = config.SESSION_IDLE_TIMEOUT_SECONDS * 1000;
    this.absoluteMs = config.SESSION_ABSOLUTE_TIMEOUT_SECONDS * 1000;
  }

  async onModuleInit(): Promise<void> {
    await this.sessions.init();
  }

  get absoluteLifetimeMs(): number {
    return this.absoluteMs;
  }

  async start(userId: Types.ObjectId, userAgent?: string): Promise<StartedSession> {
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.absoluteMs);
    const session = await this.sessions.create({
      _id: hashToken(token),
      userId,
      createdAt: now,
      authenticatedAt: now,
      lastSeenAt: now,
      expiresAt: new Date(Math.min(now.getTime() + this.idleMs, absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
      userAgent: userAgent?.slice(0, 256),
    });
    return { token, session: session.toObject<Session>() };
  }

  /** The live session behind a token, its idle expiry pushed forward; null when unknown or expired. */
  async resolve(token: string): Promise<Session | null> {
    const now = new Date();
    const session = await this.sessions
      .findOne({ _id: hashToken(token), expiresAt: mongoose.trusted({ $gt: now }) })
      .lean<Session>()
      .exec();
    if (!session) return null;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      const expiresAt = new Date(
        Math.min(now.getTime() + this.idleMs, session.absoluteExpiresAt.getTime()),
      );
      await this.sessions
        .updateOne({ _id: session._id }, { $set: { lastSeenAt: now, expiresAt } })
        .exec();
      return { ...session, lastSeenAt: now, expiresAt };
    }
    return session;
  }

  async end(token: string): Promise<void> {
    await this.sessions.deleteOne({ _id: hashToken(token) }).exec();
  }

  /** Ends every session of a user, except the one given (the one making the request). */
  async endAllForUser(userId: Types.ObjectId, exceptSessionId?: string): Promise<void> {
    const filter =
      exceptSessionId === undefined
        ? { userId }
        : { userId, _id: mongoose.trusted({ $ne: exceptSessionId }) };
    await this.sessions.deleteMany(filter).exec();
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
