import {
  Global,
  INestApplicationContext,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AdminModule } from '../admin/admin.module';
import { AppModule } from '../app.module';
import { readConfiguration } from '../configuration';
import { DELIVERS_OUTBOXES } from '../platform/database/outbox-worker';
import { EmailModule } from '../email/email.module';
import { RequestContext } from '../audit/events/request-context';
import { UsersModule } from '../users/users.module';
import { CLI_IO, CliIo, cliLogger } from './cli-io';
import { CliUsers } from './cli-users.service';

/**
 * The CLI writes mail and webhooks to their outboxes and leaves their delivery to the running
 * instances: a command neither polls an outbox nor waits on SMTP or another backend, and what it
 * causes is in the database (so never lost) by the time it exits.
 */
@Global()
@Module({
  providers: [{ provide: DELIVERS_OUTBOXES, useValue: false }],
  exports: [DELIVERS_OUTBOXES],
})
class OutboxesOnlyModule {}

/** The service as the CLI runs it: everything but the HTTP server and the outboxes' delivery. */
@Module({
  imports: [AppModule, OutboxesOnlyModule, UsersModule, AdminModule, EmailModule],
  providers: [CliUsers],
})
export class CliServiceModule {}

/**
 * The service's application (configuration, database, services), started on a command's first
 * use of it: `--help` and usage errors need no database. Closed with the CLI's own context.
 */
@Injectable()
export class ServiceContext implements OnApplicationShutdown {
  private app?: Promise<INestApplicationContext>;

  constructor(@Inject(CLI_IO) private readonly io: CliIo) {}

  /** Runs `work` against the service, as the CLI: the actor of every event it records. */
  async run<T>(work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
    this.app ??= this.start();
    const app = await this.app;
    return app.get(RequestContext).runAs({ kind: 'cli' }, () => work(app));
  }

  async onApplicationShutdown(): Promise<void> {
    const app = await this.app?.catch(() => undefined);
    await app?.close();
  }

  private async start(): Promise<INestApplicationContext> {
    // The configuration is checked first, so a mistake gets its own message (every bad variable).
    await ConfigModule.envVariablesLoaded;
    readConfiguration(process.env);
    return NestFactory.createApplicationContext(CliServiceModule, {
      logger: cliLogger(this.io),
      // Failures reach the CLI's handler (one line, exit code 1) instead of Nest exiting.
      abortOnError: false,
    });
  }
}
