import { Inject, Injectable } from '@nestjs/common';
import type { Types } from 'mongoose';
import { EventsService } from '../../audit/events/events.service';
import { currentTransaction, Transactions } from '../../platform/database/transactions';
import { AppError } from '../../platform/http/app-error';
import { OpenIdConfig, openIdConfig } from '../openid-config';
import { AppGrants } from '../storage/app-grants';
import type { AppView } from './app.view';

/**
 * The apps that hold a grant of an account (first-party ones too), and taking one's access away:
 * its grants, and every code and token issued under them, so that it asks again (consent, for
 * another party's app) the next time.
 */
@Injectable()
export class AppsWithAccess {
  constructor(
    private readonly grants: AppGrants,
    private readonly transactions: Transactions,
    private readonly events: EventsService,
    @Inject(openIdConfig.KEY) private readonly openid: OpenIdConfig,
  ) {}

  async list(userId: Types.ObjectId): Promise<AppView[]> {
    const apps = await this.grants.ofAccount(userId.toHexString());
    return apps.map(({ clientId, scopes, grantedAt, lastUsedAt }) => ({
      clientId,
      name: this.nameOf(clientId),
      scopes,
      grantedAt,
      lastUsedAt,
    }));
  }

  /**
   * Revokes the app's grants of the account and what was issued under them; APP_NOT_FOUND when it
   * holds none (of two removals at once, the second). The grants go with the event, in one
   * transaction; the codes and tokens, which stopped working with them, right after.
   */
  async revoke(userId: Types.ObjectId, clientId: string): Promise<void> {
    const accountId = userId.toHexString();
    const revoked = await this.transactions.run(async () => {
      const found = await this.grants.revokeGrants(accountId, clientId, currentTransaction());
      if (found) {
        await this.events.record({ type: 'app_access.revoked', userId, details: { clientId } });
      }
      return found;
    });
    if (!revoked) {
      throw new AppError('APP_NOT_FOUND', 'No app with that client id has access to your account.');
    }
    await this.grants.deleteIssued(accountId, clientId);
  }

  /** The app's name as configured; an app no longer configured by its id. */
  private nameOf(clientId: string): string {
    const client = this.openid.oidcClients.find(({ client_id }) => client_id === clientId);
    return client?.client_name ?? clientId;
  }
}
