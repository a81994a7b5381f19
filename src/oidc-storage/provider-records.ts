import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { collectionName } from './mongo-adapter';

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

/**
 * The provider's records of an account, for the changes that must reach the apps: deleting the
 * account, changing its password and signing out everywhere revoke every grant, token and code;
 * signing out ends the provider's sessions.
 */
@Injectable()
export class ProviderRecords {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Access tokens stop working at userinfo and introspection; refresh tokens are refused. */
  async revokeAccount(accountId: string): Promise<void> {
    await this.deleteFrom(PROVIDER_MODELS, accountId);
  }

  /** The provider forgets that this account signed in (its apps' grants stay). */
  async endSessions(accountId: string): Promise<void> {
    await this.deleteFrom(['Session'], accountId);
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
