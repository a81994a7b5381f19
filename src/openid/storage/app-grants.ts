import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { ClientSession, Connection, mongo } from 'mongoose';
import { collectionName, hashOf } from './mongo-adapter';
import { PROVIDER_MODELS } from './provider-records';

/** A grant as MongoAdapter stores it, with when tokens were last issued under it. */
interface StoredGrant {
  _id: string;
  payload: {
    accountId: string;
    clientId: string;
    iat?: number;
    openid?: { scope?: string; claims?: string[] };
    resources?: Record<string, string | undefined>;
  };
  expiresAt?: Date;
  /** Set by `used` (not by the provider, which rewrites only `payload` and `expiresAt`). */
  lastUsedAt?: Date;
}

/** What an account granted an app, over all its grants (one per browser that signed in to it). */
export interface AppGrant {
  clientId: string;
  /** The OpenID Connect scopes and the APIs' scopes granted. */
  scopes: string[];
  /** When the oldest live grant was made. */
  grantedAt: Date;
  /** When tokens were last issued or refreshed under any of them; null if never. */
  lastUsedAt: Date | null;
}

/** What a grant carries over to another browser of the same person (see AppGrants.consented). */
export interface Consented {
  openidScope: string;
  claims: string[];
  /** Scopes by API (resource indicator). */
  resources: Record<string, string>;
}

/** The models whose records an app holds for an account (grants aside): codes, tokens, sessions. */
const ISSUED_MODELS = PROVIDER_MODELS.filter((model) => model !== 'Grant');

/**
 * The provider's grants as the apps' access of an account: which apps hold one and what they may
 * see, when tokens were last issued under them, and taking an app's access away. Reads the records
 * MongoAdapter keeps (`payload.accountId`, `payload.clientId`), beside the provider.
 */
@Injectable()
export class AppGrants {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  private get grants(): mongo.Collection<StoredGrant> {
    return this.connection.db!.collection<StoredGrant>(collectionName('Grant'));
  }

  /** The apps holding a live grant of the account, newest first. */
  async ofAccount(accountId: string): Promise<AppGrant[]> {
    const grants = await this.grants.find(live({ 'payload.accountId': accountId })).toArray();
    const byApp = new Map<string, AppGrant>();
    for (const grant of grants) {
      const { clientId } = grant.payload;
      const grantedAt = new Date((grant.payload.iat ?? 0) * 1000);
      const app = byApp.get(clientId) ?? { clientId, scopes: [], grantedAt, lastUsedAt: null };
      app.scopes = [...new Set([...app.scopes, ...scopesOf(grant)])];
      if (grantedAt < app.grantedAt) app.grantedAt = grantedAt;
      if (grant.lastUsedAt && (!app.lastUsedAt || grant.lastUsedAt > app.lastUsedAt)) {
        app.lastUsedAt = grant.lastUsedAt;
      }
      byApp.set(clientId, app);
    }
    return [...byApp.values()].sort(
      (a, b) =>
        b.grantedAt.getTime() - a.grantedAt.getTime() || a.clientId.localeCompare(b.clientId),
    );
  }

  /**
   * What the account consented to for the app in any browser, so that signing in to it from
   * another (or after signing out here) does not ask again; undefined when it holds no grant.
   */
  async consented(accountId: string, clientId: string): Promise<Consented | undefined> {
    const grants = await this.grants
      .find(live({ 'payload.accountId': accountId, 'payload.clientId': clientId }))
      .toArray();
    if (grants.length === 0) return undefined;
    const words = (value?: string) => (value ? value.split(' ') : []);
    const union = (values: string[]) => [...new Set(values)].join(' ');
    const indicators = [...new Set(grants.flatMap((g) => Object.keys(g.payload.resources ?? {})))];
    return {
      openidScope: union(grants.flatMap((g) => words(g.payload.openid?.scope))),
      claims: [...new Set(grants.flatMap((g) => g.payload.openid?.claims ?? []))],
      resources: Object.fromEntries(
        indicators.map((indicator) => [
          indicator,
          union(grants.flatMap((g) => words(g.payload.resources?.[indicator]))),
        ]),
      ),
    };
  }

  /** Tokens were issued (or refreshed) under the grant now; of two at once, the later stays. */
  async used(grantId: string, at = new Date()): Promise<void> {
    await this.grants.updateOne({ _id: hashOf(grantId) }, { $max: { lastUsedAt: at } });
  }

  /**
   * Takes the app's access away: its grants of the account, in `session`'s transaction when given
   * (one deleteMany, so of two removals at once one finds them). Returns whether there was one.
   */
  async revokeGrants(
    accountId: string,
    clientId: string,
    session?: ClientSession,
  ): Promise<boolean> {
    const { deletedCount } = await this.grants.deleteMany(
      { 'payload.accountId': accountId, 'payload.clientId': clientId },
      { session },
    );
    return deletedCount > 0;
  }

  /**
   * Deletes what the app was issued for the account: codes, access and refresh tokens, and the
   * interactions and sessions' records that carry its id. They stopped working with the grant
   * (the provider finds no grant for them); deleted, none is left to find.
   */
  async deleteIssued(accountId: string, clientId: string): Promise<void> {
    const db = this.connection.db!;
    await Promise.all(
      ISSUED_MODELS.map((model) =>
        db
          .collection(collectionName(model))
          .deleteMany({ 'payload.accountId': accountId, 'payload.clientId': clientId }),
      ),
    );
  }
}

/** Only grants not yet expired: the TTL index removes them a while after. */
function live(filter: mongo.Filter<StoredGrant>): mongo.Filter<StoredGrant> {
  return {
    ...filter,
    $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date() } }],
  };
}

/** The scopes a grant holds: OpenID Connect's, then each API's. */
function scopesOf({ payload }: StoredGrant): string[] {
  const words = (value?: string) => (value ? value.split(' ') : []);
  return [
    ...words(payload.openid?.scope),
    ...Object.values(payload.resources ?? {}).flatMap((scope) => words(scope)),
  ];
}
