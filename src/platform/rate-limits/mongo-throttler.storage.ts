import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Model } from 'mongoose';
import { driverCollection } from '../database/driver-collection';
import { BlockMemory } from './block-memory';
import { RateLimit } from './rate-limit.schema';

/** What `increment` answers (the package does not export the type from its entry point). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler's storage in MongoDB, so that every instance counts together: each hit is one
 * atomic findOneAndUpdate (an update pipeline) that starts a new fixed window when the last one has
 * ended, counts the hit, and blocks the key for `blockDuration` once it goes over `limit`. A blocked
 * hit is not counted; the first hit after the block starts a new window. Times are the instances'
 * clocks, which must agree (NTP); a TTL index removes records once neither window nor block is on.
 *
 * A key the database answered blocked is remembered by this instance until its block ends
 * (BlockMemory): its further hits are refused from memory, with no round trip, as the database
 * would refuse them (a blocked hit is not counted there either).
 */
@Injectable()
export class MongoThrottlerStorage implements ThrottlerStorage, OnModuleInit {
  /** The blocks this instance has seen, by `<throttler name>:<key>`. */
  readonly blocks = new BlockMemory();
  /** The keys this instance counted in a window still open: their records exist (likely). */
  private readonly openWindows = new BlockMemory();

  constructor(@InjectModel(RateLimit.name) private readonly limits: Model<RateLimit>) {}

  async onModuleInit(): Promise<void> {
    await this.limits.init();
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const id = `${throttlerName}:${key}`;
    const now = new Date();
    const secondsUntil = (date: Date) => Math.ceil((date.getTime() - now.getTime()) / 1000);
    const remembered = this.blocks.until(id, now.getTime());
    if (remembered !== undefined) {
      const blockedUntil = new Date(remembered);
      return {
        totalHits: limit + 1,
        timeToExpire: secondsUntil(blockedUntil),
        isBlocked: true,
        timeToBlockExpire: secondsUntil(blockedUntil),
      };
    }
    const record = await this.hit(id, now, ttl, limit, blockDuration);
    const isBlocked = record.blockedUntil !== null && record.blockedUntil > now;
    if (isBlocked) this.blocks.remember(id, record.blockedUntil!.getTime(), true);
    return {
      totalHits: record.hits,
      timeToExpire: secondsUntil(record.windowEndsAt),
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsUntil(record.blockedUntil!) : 0,
    };
  }

  /** Inserts `record`; null when a record with its id exists already. */
  private async inserted(record: RateLimit): Promise<RateLimit | null> {
    try {
      await driverCollection(this.limits).insertOne(record);
      return record;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 11000) return null;
      throw error;
    }
  }

  private async hit(
    id: string,
    now: Date,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<RateLimit> {
    const later = (ms: number) => new Date(now.getTime() + ms);
    const update = hitCounting(now, ttl, limit, blockDuration);
    // The record the update makes of none: this hit counted in a new window (over a limit of 0,
    // blocked at once).
    const windowEndsAt = later(ttl);
    const blockedUntil =
      limit < 1 ? (blockDuration > 0 ? later(blockDuration) : windowEndsAt) : null;
    const firstHit = (): Promise<RateLimit | null> =>
      this.inserted({
        _id: id,
        hits: 1,
        windowEndsAt,
        blockedUntil,
        expiresAt: blockedUntil && blockedUntil > windowEndsAt ? blockedUntil : windowEndsAt,
      });
    // By the driver itself: mongoose's query would copy and walk the pipeline on every hit.
    const counted = (): Promise<RateLimit | null> =>
      driverCollection(this.limits).findOneAndUpdate({ _id: id }, update, {
        returnDocument: 'after',
      });
    // One round trip either way: a key counted here in a window still open has its record, so it
    // is counted; any other most likely has none (a person's first attempt), so it is inserted
    // with this hit counted. A guess that turns out wrong costs the other step (a duplicate key,
    // or no record: the TTL monitor removed it), and each step is applied once or not at all.
    let insertFirst = this.openWindows.until(id, now.getTime()) === undefined;
    for (let tries = 0; tries < 3; tries++) {
      const record = await (insertFirst ? firstHit() : counted());
      if (record !== null) {
        this.openWindows.remember(id, record.windowEndsAt.getTime(), true);
        return record;
      }
      insertFirst = !insertFirst;
    }
    throw new Error('The record kept vanishing while being created');
  }
}

/**
 * The update pipeline of one hit on a key's record at `now`: starts a new window of `ttl` ms when
 * the last one has ended, counts the hit, and blocks the key for `blockDuration` ms (or until the
 * window ends) once it goes over `limit`. A blocked hit is not counted.
 */
export function hitCounting(
  now: Date,
  ttl: number,
  limit: number,
  blockDuration: number,
): Record<string, unknown>[] {
  const later = (ms: number) => new Date(now.getTime() + ms);
  // Without a block duration, going over the limit blocks until the window ends.
  const blockEnd = blockDuration > 0 ? later(blockDuration) : '$windowEndsAt';
  return [
    {
      $set: {
        _blocked: { $gt: ['$blockedUntil', now] },
        // The window is over, or a block (now over) ended it: start afresh.
        _fresh: {
          $or: [
            { $not: [{ $gt: ['$windowEndsAt', now] }] },
            { $ne: [{ $ifNull: ['$blockedUntil', null] }, null] },
          ],
        },
      },
    },
    {
      $set: {
        hits: {
          $cond: ['$_blocked', '$hits', { $cond: ['$_fresh', 1, { $add: ['$hits', 1] }] }],
        },
        windowEndsAt: {
          $cond: [{ $or: ['$_blocked', { $not: ['$_fresh'] }] }, '$windowEndsAt', later(ttl)],
        },
        blockedUntil: { $cond: ['$_blocked', '$blockedUntil', null] },
      },
    },
    {
      $set: {
        blockedUntil: {
          $cond: [
            { $and: [{ $not: ['$_blocked'] }, { $gt: ['$hits', limit] }] },
            blockEnd,
            '$blockedUntil',
          ],
        },
      },
    },
    { $set: { expiresAt: { $max: ['$windowEndsAt', '$blockedUntil'] } } },
    { $unset: ['_blocked', '_fresh'] },
  ];
}
