import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Registry } from 'prom-client';
import { UsersModule } from '../../users/users.module';
import { PasswordConfig, passwordConfig } from '../methods/password/password-config';
import { AccountAttempts } from './account-attempts';
import { HashScheduler } from './hash-scheduler';
import { registerHashSchedulerMetrics } from './hash-scheduler.metrics';
import { SignInFailure, SignInFailureSchema } from './sign-in-failure.schema';
import { SignInFailures } from './sign-in-failures';

/**
 * What bounds password checking: the per-account limits (in MongoDB: on the account's record, and
 * `sign_in_failures` for logins that match none) and the
 * one scheduler of all argon2 work. Global, so every service that checks a password can inject them.
 */
@Global()
@Module({
  imports: [
    MongooseModule.forFeature([{ name: SignInFailure.name, schema: SignInFailureSchema }]),
    UsersModule,
  ],
  providers: [
    AccountAttempts,
    SignInFailures,
    {
      provide: HashScheduler,
      inject: [passwordConfig.KEY, Registry],
      useFactory: (config: PasswordConfig, registry: Registry) => {
        const scheduler = new HashScheduler({
          concurrency: config.ARGON2_MAX_CONCURRENCY,
          queueTimeoutMs: config.ARGON2_QUEUE_TIMEOUT_SECONDS * 1000,
        });
        registerHashSchedulerMetrics(registry, scheduler);
        return scheduler;
      },
    },
  ],
  exports: [AccountAttempts, HashScheduler],
})
export class PasswordLimitsModule {}
