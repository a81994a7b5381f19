import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { AppSignIns } from '../../sign-in/app-sign-ins';
import { Migrations } from '../../platform/database/migrations';
import { currentTransaction, Transactions } from '../../platform/database/transactions';
import { BackchannelLogouts, type EndedSession } from './backchannel-logouts';
import { collectionName, hashOf, MongoAdapter } from './mongo-adapter';

/** What oidc-provider stores, one collection each (see MongoAdapter). */
export const PROVIDER_MODELS = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'Interaction',
  'Grant',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'ClientCredentials',
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
];

/** Recorded in `migrations` once the records an earlier version kept in clear are gone. */
export const HASHED_KEYS_MIGRATION = 'oidc: records keyed by hashes';

/**
 * The provider's records, for the changes that must reach the apps: deleting the account,
 * changing its password and signing out everywhere revoke every grant, token and code; signing out
 * ends the provider's sessions; a code or refresh token used twice revokes its grant. Every ending
 * of a provider session goes through endProviderSessions, which tells the apps (back-channel logout).
 */
@Injectable()
export class ProviderRecords implements AppSignIns {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly migrations: Migrations,
    private readonly transactions: Transactions,
    private readonly logouts: BackchannelLogouts,
  ) {}

  /**
   * Before the provider serves: the indexes, and the records of versions that kept them keyed by
   * the code or token itself (with it in `payload.jti`) deleted, once per database. Their tokens
   * stopped working anyway (lookups are by hash); deleted, nobody reading the database sees them.
   */
  async prepare(): Promise<void> {
    const db = this.connection.db!;
    await MongoAdapter.ensureIndexes(db, PROVIDER_MODELS);
    await this.migrations.once(HASHED_KEYS_MIGRATION, async () => {
      await Promise.all(
        PROVIDER_MODELS.map((model) =>
          db.collection(collectionName(model)).deleteMany({ 'payload.jti': { $exists: true } }),
        ),
      );
    });
  }

  /**
   * A code or refresh token used twice: the grant goes, so that nothing issued under it works,
   * even a token the other use saves after this, and so does everything issued under it.
   */
  async revokeGrant(grantId: string): Promise<void> {
    const db = this.connection.db!;
    await Promise.all([
      db.collection<{ _id: string }>(collectionName('Grant')).deleteOne({ _id: hashOf(grantId) }),
      ...PROVIDER_MODELS.map((model) =>
        db.collection(collectionName(model)).deleteMany({ 'payload.grantId': grantId }),
      ),
    ]);
  }

  /** Access tokens stop working at userinfo and introspection; refresh tokens are refused. */
  async revokeAccount(accountId: string): Promise<void> {
    await this.endProviderSessions(accountId);
    await this.deleteFrom(
      PROVIDER_MODELS.filter((model) => model !== 'Session'),
      accountId,
    );
  }

  /** The provider forgets that this account signed in (its apps' grants stay). */
  async endSessions(accountId: string): Promise<void> {
    await this.endProviderSessions(accountId);
  }

  /**
   * Ends the account's provider sessions, and owes each app they signed in that takes logout
   * tokens one for each session, in one transaction (the caller's, when it runs in one). Each
   * session is deleted by one atomic statement that returns it: of two endings at the same moment,
   * only the one that deleted it writes its messages.
   */
  private async endProviderSessions(accountId: string): Promise<void> {
    if (!this.logouts.wanted) return this.deleteFrom(['Session'], accountId);
    const sessions = this.connection.db!.collection<EndedSession>(collectionName('Session'));
    await this.transactions.run(async () => {
      const session = currentTransaction();
      const ended: EndedSession[] = [];
      for (;;) {
        const deleted = await sessions.findOneAndDelete(
          { 'payload.accountId': accountId },
          { session, projection: { payload: 1, expiresAt: 1 } },
        );
        if (!deleted) break;
        ended.push(deleted);
      }
      await this.logouts.enqueue(ended);
    });
  }

  private async deleteFrom(models: string[], accountId: string): Promise<void> {
    const db = this.connection.db!;
    await Promise.all(
      models.map((model) =>
        db.collection(collectionName(model)).deleteMany({ 'payload.accountId': accountId }),
      ),
    );
  }
}
