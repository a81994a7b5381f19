import type { mongo } from 'mongoose';
import { collectionName, hashOf, userCodeDigest } from './mongo-adapter';

/** What the device flow adds to a stored DeviceCode, beside the provider's payload. */
interface StoredDeviceCode {
  _id: string;
  payload: Record<string, unknown>;
  expiresAt?: Date;
  /** When the device last polled the token endpoint, and the interval it must keep. */
  polling?: { lastAt: Date; interval: number };
}

/** The interval a device polls at when told none (RFC 8628 §3.2: 5 seconds), and its step. */
export const POLLING_INTERVAL_SECONDS = 5;

/**
 * The device flow's own operations on the provider's DeviceCode records (MongoAdapter keeps
 * them): deciding a request once, and the pace of the device's polling. Each is one atomic
 * statement, so parallel requests cannot both decide one code or both poll early unnoticed.
 */
export class DeviceCodes {
  private readonly collection: mongo.Collection<StoredDeviceCode>;

  constructor(
    db: mongo.Db,
    private readonly userCodeKey: Buffer,
  ) {
    this.collection = db.collection<StoredDeviceCode>(collectionName('DeviceCode'));
  }

  /**
   * Takes the decision on the request with this user code (normalized), if nobody took it and it
   * has not expired: true for exactly one of any number of parallel calls.
   */
  async claim(userCode: string): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    const { modifiedCount } = await this.collection.updateOne(
      {
        'payload.userCode': userCodeDigest(this.userCodeKey, userCode),
        'payload.exp': { $gt: now },
        'payload.inFlight': { $exists: false },
        'payload.accountId': { $exists: false },
        'payload.error': { $exists: false },
      },
      { $set: { 'payload.inFlight': true } },
    );
    return modifiedCount === 1;
  }

  /**
   * Records a poll of the device code and says whether it came too early (RFC 8628 §3.5's
   * `slow_down`): sooner than the interval after the previous one. The previous poll's time is
   * swapped for this one's in one statement, so of two parallel polls one is the early one. An
   * early poll adds 5 seconds to the interval, for this and every later poll.
   */
  async pollTooEarly(deviceCode: string): Promise<boolean> {
    const now = new Date();
    const before = await this.collection.findOneAndUpdate(
      { _id: hashOf(deviceCode) },
      { $set: { 'polling.lastAt': now } },
      { returnDocument: 'before' },
    );
    const polling = before?.polling;
    if (!polling) return false;
    const interval = polling.interval ?? POLLING_INTERVAL_SECONDS;
    if (now.getTime() - polling.lastAt.getTime() >= interval * 1000) return false;
    await this.collection.updateOne(
      { _id: hashOf(deviceCode) },
      { $max: { 'polling.interval': interval + POLLING_INTERVAL_SECONDS } },
    );
    return true;
  }
}
