import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Registry } from 'prom-client';
import { AppConfig } from '../../platform/config/app-config';
import { backOff, DELIVERS_OUTBOXES, OutboxWorker } from '../../platform/database/outbox-worker';
import { backlogGauge } from '../../platform/metrics/backlog-gauge';
import { GracefulShutdown } from '../../platform/shutdown/graceful-shutdown';
import type { OidcClientSettings } from '../oidc-clients';
import { OpenIdConfig, openIdConfig } from '../openid-config';
import { BackchannelLogout } from '../storage/backchannel-logout.schema';
import { BackchannelLogouts } from '../storage/backchannel-logouts';
import { postLogoutToken } from './backchannel-logout-transport';
import { ATTEMPT_TIMEOUT_MS, describeDeliveryFailure } from '../../platform/http/outbound-post';
import { LogoutTokens } from './logout-token';

/** How often each instance looks for logout tokens due (it also looks right after each ending). */
const POLL_INTERVAL_MS = 5_000;
/** Tokens one instance sends at once: an app slow to answer holds up one, not the rest. */
const CONCURRENCY = 4;
/** Longer than an attempt may take; a crashed instance's claim lapses after it. */
const CLAIM_MS = ATTEMPT_TIMEOUT_MS + 50_000;
/** Retry delays double from this (an app restarting is soon told) up to MAX_RETRY_MS. */
export const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60 * 60_000;
/** A logout token still not delivered this long after the ending is given up (marked failed). */
const GIVE_UP_MS = 3 * 86_400_000;
/** Delivered and failed messages keep their record this long. */
const KEEP_MS = 7 * 86_400_000;

/**
 * Delivers the back-channel logout outbox (BackchannelLogouts writes it): every instance polls it
 * and takes due messages with an atomic claim (OutboxWorker), signs a logout token for each (with
 * the key that signs now, the same `jti` every time) and posts it to the app's
 * `backchannel_logout_uri` as it is configured now. A 2xx ends it; anything else is retried with
 * a doubling delay until GIVE_UP_MS. The token is never logged nor stored.
 */
@Injectable()
export class BackchannelLogoutRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BackchannelLogout');
  private readonly worker: OutboxWorker<BackchannelLogout>;
  private readonly clients: Map<string, OidcClientSettings>;
  private readonly userAgent: string;

  constructor(
    @InjectModel(BackchannelLogout.name) messages: Model<BackchannelLogout>,
    private readonly outbox: BackchannelLogouts,
    private readonly tokens: LogoutTokens,
    private readonly shutdown: GracefulShutdown,
    @Inject(openIdConfig.KEY) openid: OpenIdConfig,
    config: AppConfig,
    registry: Registry,
    @Optional() @Inject(DELIVERS_OUTBOXES) delivers: boolean = true,
  ) {
    this.clients = new Map(openid.oidcClients.map((client) => [client.client_id, client]));
    this.userAgent = `${config.APP_NAME} back-channel logout`;
    this.worker = new OutboxWorker(messages, {
      name: 'BackchannelLogout',
      active: delivers,
      pollIntervalMs: POLL_INTERVAL_MS,
      claimMs: CLAIM_MS,
      concurrency: CONCURRENCY,
      deliver: (message) => this.deliver(message),
    });
    backlogGauge(
      registry,
      'oidc_backchannel_logout_pending',
      'Logout tokens not yet delivered to the apps nor given up, one per app and session',
      messages,
    );
  }

  /** Without an app that takes logout tokens, nothing is owed. */
  onApplicationBootstrap(): void {
    if (!this.outbox.wanted) return;
    this.outbox.onWritten(() => this.worker.wake());
    this.worker.start();
  }

  /** Stops claiming; the tokens being sent finish, or are handed back (OutboxWorker.stop). */
  async onApplicationShutdown(): Promise<void> {
    await this.worker.stop(this.shutdown.remainingMs());
  }

  private async deliver(message: BackchannelLogout): Promise<void> {
    const client = this.clients.get(message.clientId);
    // An app no longer configured, or no longer taking logout tokens, is owed nothing.
    const uri = client?.backchannel_logout_uri;
    if (!uri) {
      await this.giveUp(message, 'the app no longer has a backchannel_logout_uri');
      return;
    }
    try {
      const token = await this.tokens.sign({
        clientId: message.clientId,
        sub: message.sub,
        // Only to the apps whose ID tokens carry it.
        sid: client.backchannel_logout_session_required ? message.sid : undefined,
        jti: message.jti,
      });
      await postLogoutToken(uri, token, this.userAgent);
    } catch (error) {
      await this.failed(message, uri, describeDeliveryFailure(error));
      return;
    }
    const now = new Date();
    await this.worker.finish(message, {
      $set: { state: 'delivered', deliveredAt: now, expiresAt: new Date(now.getTime() + KEEP_MS) },
    });
    this.logger.log(logFields(message, uri), 'Logout token delivered');
  }

  private async failed(message: BackchannelLogout, uri: string, reason: string): Promise<void> {
    const now = Date.now();
    const delay = backOff(message.attempts, FIRST_RETRY_MS, MAX_RETRY_MS);
    if (now + delay - message.createdAt.getTime() > GIVE_UP_MS) {
      await this.giveUp(message, reason, uri);
      return;
    }
    await this.worker.finish(message, {
      $set: { nextAttemptAt: new Date(now + delay), lastError: reason },
    });
    this.worker.wakeAfter(delay);
    this.logger.warn(
      { ...logFields(message, uri), reason },
      `Logout token not delivered; retrying in ${Math.round(delay / 1000)} s`,
    );
  }

  private async giveUp(message: BackchannelLogout, reason: string, uri?: string): Promise<void> {
    await this.worker.finish(message, {
      $set: { state: 'failed', lastError: reason, expiresAt: new Date(Date.now() + KEEP_MS) },
    });
    this.logger.error({ ...logFields(message, uri), reason }, 'Logout token given up');
  }
}

/** What the logs say of a message: the app, its address by origin only, never the token. */
function logFields({ clientId, jti, attempts }: BackchannelLogout, uri?: string) {
  return { clientId, jti, attempts, ...(uri && { to: new URL(uri).origin }) };
}
