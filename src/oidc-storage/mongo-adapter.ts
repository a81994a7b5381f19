import type { mongo } from 'mongoose';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Stored {
  _id: string;
  payload: AdapterPayload;
  /** The TTL index removes the record then; until it runs, reads treat it as gone. */
  expiresAt?: Date;
}

/** `AuthorizationCode` → `oidc_authorization_code`. */
export function collectionName(model: string): string {
  return `oidc_${model.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/**
 * oidc-provider's storage (grants, codes, tokens, the provider's sessions and interactions) in
 * MongoDB: one collection per model, each record expiring by a TTL index. Every operation is one
 * atomic statement; consuming a code is a conditional update, so a replay finds it consumed.
 */
export class MongoAdapter implements Adapter {
  private static readonly indexed = new WeakMap<mongo.Db, Set<string>>();
  private readonly collection: mongo.Collection<Stored>;

  constructor(
    model: string,
    private readonly db: mongo.Db,
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
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : undefined;
    await this.collection.updateOne(
      { _id: id },
      { $set: { payload, ...(expiresAt && { expiresAt }) } },
      { upsert: true },
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findOne({ _id: id });
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findOne({ 'payload.uid': uid });
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findOne({ 'payload.userCode': userCode });
  }

  async consume(id: string): Promise<void> {
    await this.collection.updateOne(
      { _id: id },
      { $set: { 'payload.consumed': Math.floor(Date.now() / 1000) } },
    );
  }

  async destroy(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: id });
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.collection.deleteMany({ 'payload.grantId': grantId });
  }

  private async findOne(filter: mongo.Filter<Stored>): Promise<AdapterPayload | undefined> {
    const stored = await this.collection.findOne(filter);
    if (!stored || (stored.expiresAt && stored.expiresAt.getTime() <= Date.now())) return undefined;
    return stored.payload;
  }
}
