import { createHash, createHmac } from 'node:crypto';
import type { mongo } from 'mongoose';
import { type Adapter, type AdapterPayload, errors } from 'oidc-provider';

interface Stored {
  /** The SHA-256 of the model's id (see keyOf), never the id itself. */
  _id: string;
  /** The model's payload without its `jti` (the id, which for a token is the token). */
  payload: AdapterPayload;
  /** The TTL index removes the record then; until it runs, reads treat it as gone. */
  expiresAt?: Date;
}

/** `AuthorizationCode` → `oidc_authorization_code`. */
export function collectionName(model: string): string {
  return `oidc_${model.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** How a record is keyed: the SHA-256 of its id, as sessions and API keys are. */
export function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/**
 * A device flow's user code as stored: a keyed hash (HMAC-SHA-256 with a key derived from
 * OIDC_KEY_SECRET), so that someone reading the database cannot approve a device with it, and
 * user codes (short, from a small alphabet) cannot be found by hashing every one of them.
 */
export function userCodeDigest(userCodeKey: Buffer, userCode: string): string {
  return createHmac('sha256', userCodeKey).update(userCode).digest('base64url');
}

/**
 * A stored user code given back with a record found by its device code: its digest, marked so
 * that saving the record again keeps it as it is (the code itself is not known then).
 */
const USER_CODE_DIGEST = 'stored-digest:';

/**
 * Seconds a model's records stay after they expire. A device code does, so that the device
 * polling after it expired hears `expired_token` (RFC 8628 §3.5) rather than `invalid_grant`: the
 * provider judges its expiry itself (`exp`), reading it with ignoreExpiration.
 */
const KEPT_AFTER_EXPIRY: Record<string, number> = { DeviceCode: 3600 };

/** Models whose id is public (a client_id), kept as it is. */
const PUBLIC_IDS = new Set(['Client']);

/**
 * The `jti` given back with a record found by another field (a session by its uid): its id is
 * known only by its hash, which this names so that saving or destroying the model reaches the same
 * record. find() never takes it: a hash read from the database opens nothing.
 */
const KEY_REFERENCE = 'stored-key:';

/** Called with the grant of a code or refresh token used twice: everything it issued goes. */
export type RevokeGrant = (grantId: string) => Promise<void>;

/**
 * oidc-provider's storage (grants, codes, tokens, the provider's sessions and interactions) in
 * MongoDB: one collection per model, each record expiring by a TTL index. Records are keyed by the
 * SHA-256 of their id and hold no `jti`, so no stored value is a code, token or session cookie.
 * Every operation is one atomic statement; consuming a code is a conditional update, so that only
 * one of two redemptions at the same moment wins, and the other is a replay.
 */
export class MongoAdapter implements Adapter {
  private static readonly indexed = new WeakMap<mongo.Db, Set<string>>();
  private readonly collection: mongo.Collection<Stored>;

  constructor(
    private readonly model: string,
    db: mongo.Db,
    private readonly revokeGrant: RevokeGrant,
    /** The key of user codes' digests (userCodeDigest). */
    private readonly userCodeKey: Buffer,
  ) {
    this.collection = db.collection<Stored>(collectionName(model));
  }

  /** The indexes every model's collection needs, made once per process. */
  static async ensureIndexes(db: mongo.Db, models: string[]): Promise<void> {
    const done = MongoAdapter.indexed.get(db) ?? new Set<string>();
    MongoAdapter.indexed.set(db, done);
    for (const model of models.filter((name) => !done.has(name))) {
      const collection = db.collection(collectionName(model));
      await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      await collection.createIndex({ 'payload.grantId': 1 }, { sparse: true });
      await collection.createIndex({ 'payload.uid': 1 }, { sparse: true });
      await collection.createIndex({ 'payload.userCode': 1 }, { sparse: true });
      await collection.createIndex({ 'payload.accountId': 1 }, { sparse: true });
      done.add(model);
    }
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const kept = expiresIn ? expiresIn + (KEPT_AFTER_EXPIRY[this.model] ?? 0) : undefined;
    const expiresAt = kept ? new Date(Date.now() + kept * 1000) : undefined;
    await this.collection.updateOne(
      { _id: this.keyOf(id) },
      {
        $set: {
          payload: this.withUserCodeDigest(withoutBearerValues(payload)),
          ...(expiresAt && { expiresAt }),
        },
      },
      { upsert: true },
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (PUBLIC_IDS.has(this.model)) return (await this.findStored({ _id: id }))?.payload;
    const stored = await this.findStored({ _id: hashOf(id) });
    return stored && withDigestMarked({ ...stored.payload, jti: id });
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findReferenced({ 'payload.uid': uid });
  }

  /** By the digest of the code; the record comes back with the code the person typed. */
  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const found = await this.findReferenced({
      'payload.userCode': userCodeDigest(this.userCodeKey, userCode),
    });
    return found && { ...found, userCode };
  }

  /**
   * Marks a code (or refresh token) used, only if it was not already: of two redemptions at the
   * same moment one wins, and the other is refused as a replay (RFC 6749 §4.1.2), which revokes
   * what the code issued, the winner's tokens included.
   */
  async consume(id: string): Promise<void> {
    const key = this.keyOf(id);
    const { matchedCount } = await this.collection.updateOne(
      { _id: key, 'payload.consumed': { $exists: false } },
      { $set: { 'payload.consumed': Math.floor(Date.now() / 1000) } },
    );
    if (matchedCount === 1) return;
    const used = await this.collection.findOne({ _id: key }, { projection: { payload: 1 } });
    const grantId = used?.payload.grantId;
    if (typeof grantId === 'string') await this.revokeGrant(grantId);
    throw this.model === 'PushedAuthorizationRequest'
      ? new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used')
      : new errors.InvalidGrant(`${this.model} already used`);
  }

  async destroy(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: this.keyOf(id) });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.collection.deleteMany({ 'payload.grantId': grantId });
  }

  /** The record's key: the hash of the id, or the key a found record named (see KEY_REFERENCE). */
  private keyOf(id: string): string {
    if (PUBLIC_IDS.has(this.model)) return id;
    return id.startsWith(KEY_REFERENCE) ? id.slice(KEY_REFERENCE.length) : hashOf(id);
  }

  /** A record found by a field of its payload, with its key in place of the id it does not hold. */
  private async findReferenced(filter: mongo.Filter<Stored>): Promise<AdapterPayload | undefined> {
    const stored = await this.findStored(filter);
    if (!stored) return undefined;
    return PUBLIC_IDS.has(this.model)
      ? stored.payload
      : withDigestMarked({ ...stored.payload, jti: `${KEY_REFERENCE}${stored._id}` });
  }

  /** A user code replaced by its digest; one already marked as a digest stays as it is. */
  private withUserCodeDigest(payload: AdapterPayload): AdapterPayload {
    const { userCode } = payload;
    if (typeof userCode !== 'string') return payload;
    return {
      ...payload,
      userCode: userCode.startsWith(USER_CODE_DIGEST)
        ? userCode.slice(USER_CODE_DIGEST.length)
        : userCodeDigest(this.userCodeKey, userCode),
    };
  }

  private async findStored(filter: mongo.Filter<Stored>): Promise<Stored | undefined> {
    const stored = await this.collection.findOne(filter);
    if (!stored || (stored.expiresAt && stored.expiresAt.getTime() <= Date.now())) return undefined;
    return stored;
  }
}

/** A stored user code (a digest) given back marked as one (see USER_CODE_DIGEST). */
function withDigestMarked(payload: AdapterPayload): AdapterPayload {
  return typeof payload.userCode === 'string'
    ? { ...payload, userCode: `${USER_CODE_DIGEST}${payload.userCode}` }
    : payload;
}

/**
 * The payload as stored: without `jti` (the id: the code or token itself), and an interaction
 * without the provider's session cookie it copies (`session.cookie`, which nothing reads back).
 */
function withoutBearerValues(payload: AdapterPayload): AdapterPayload {
  const stored: AdapterPayload = { ...payload };
  delete stored.jti;
  if (stored.session && typeof stored.session === 'object' && 'cookie' in stored.session) {
    const session: Record<string, unknown> = { ...stored.session };
    delete session.cookie;
    stored.session = session;
  }
  return stored;
}
