import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AccountAttempts } from './account-attempts';
import { HashScheduler } from './hash-scheduler';

/**
 * What bounds password checking: the per-account attempt counter and the one scheduler of all argon2
 * work. Global, so every service that checks a password can inject them.
 */
@Global()
@Module({
  providers: [
    AccountAttempts,
    {
      provide: HashScheduler,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new HashScheduler({
          concurrency: config.ARGON2_MAX_CONCURRENCY,
          queueTimeoutMs: config.ARGON2_QUEUE_TIMEOUT_SECONDS * 1000,
        }),
    },
  ],
  exports: [AccountAttempts, HashScheduler],
})
export class PasswordLimitsModule {}
