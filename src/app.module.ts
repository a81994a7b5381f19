import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AccountModule } from './account/account.module';
import { AdminRateLimitGuard } from './admin/admin-rate-limit.guard';
import { AdminGuard } from './admin/admin.guard';
import { AdminModule } from './admin/admin.module';
import { ApiKeyGuard } from './admin/api-keys/api-key.guard';
import { ApiKeysModule } from './admin/api-keys/api-keys.module';
import { AuthModule } from './sign-in/auth.module';
import { TwoStepModule } from './sign-in/two-step/two-step.module';
import { PasswordLimitsModule } from './sign-in/limits/password-limits.module';
import { SocialAuthModule } from './sign-in/methods/identities/social-auth.module';
import { SessionGuard } from './sign-in/sessions/session.guard';
import { AppExceptionFilter } from './platform/http/app-exception.filter';
import { CrossSiteRequestGuard } from './platform/http/cross-site-request.guard';
import { ConfigurationModule } from './configuration.module';
import { DatabaseModule } from './platform/database/database.module';
import { EventsModule } from './audit/events/events.module';
import { HealthModule } from './platform/health/health.module';
import { LinkingModule } from './sign-in/methods/identities/linking/linking.module';
import { PasskeysModule } from './sign-in/methods/passkeys/passkeys.module';
import { LoggingModule } from './platform/logging/logging.module';
import { MetricsModule } from './platform/metrics/metrics.module';
import { OidcModule } from './openid/oidc.module';
import { AppsModule } from './openid/apps/apps.module';
import { OidcStorageModule } from './openid/storage/oidc-storage.module';
import { ProfileFieldsModule } from './users/profile-fields/profile-fields.module';
import { MongoThrottlerStorage } from './platform/rate-limits/mongo-throttler.storage';
import { RateLimitsModule } from './platform/rate-limits/rate-limits.module';
import { RecoveryModule } from './account/recovery/recovery.module';
import { ShutdownModule } from './platform/shutdown/shutdown.module';
import { VerificationModule } from './account/email-verification/verification.module';
import { UsersModule } from './users/users.module';
import { WebModule } from './web/web.module';
import { SignInConfig, signInConfig } from './sign-in/sign-in-config';

@Module({
  imports: [
    // First, so that its routes are the first express tries: orchestrators probe every instance
    // every few seconds, and each route registered before a path costs its requests a match.
    HealthModule,
    ConfigurationModule,
    LoggingModule,
    MetricsModule,
    // Counts attempts per client on the routes that opt in with SignInThrottle (sign-in,
    // registration, every route that checks a password), in MongoDB so that every instance counts
    // together. Per-account limits are AccountAttempts' (PasswordLimitsModule).
    ThrottlerModule.forRootAsync({
      imports: [RateLimitsModule],
      inject: [signInConfig.KEY, MongoThrottlerStorage],
      useFactory: (config: SignInConfig, storage: MongoThrottlerStorage) => ({
        throttlers: [{ ttl: 60_000, limit: config.SIGN_IN_RATE_LIMIT }],
        errorMessage: 'Too many attempts from your network. Please wait a minute and try again.',
        storage,
      }),
    }),
    // Per-account attempt counts and the argon2 scheduler, for every service that checks passwords.
    PasswordLimitsModule,
    DatabaseModule,
    EventsModule,
    UsersModule,
    AuthModule,
    TwoStepModule,
    SocialAuthModule,
    LinkingModule,
    PasskeysModule,
    AccountModule,
    ApiKeysModule,
    ProfileFieldsModule,
    VerificationModule,
    RecoveryModule,
    // Answers AppSignIns, through which sign-in ends what the apps hold (also with no apps).
    OidcStorageModule,
    OidcModule,
    AppsModule,
    WebModule,
    AdminModule,
    // Stopping: the HTTP server drains first, then the workers hand back what they hold.
    ShutdownModule,
  ],
  providers: [
    // Global guards run in this order: refuse cross-site browser requests, then take an API key
    // (admin routes only), else require a session, then, on routes marked @AdminAccess, an admin
    // (or an API key with the scope).
    { provide: APP_GUARD, useClass: CrossSiteRequestGuard },
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
    { provide: APP_GUARD, useExisting: SessionGuard },
    { provide: APP_GUARD, useExisting: AdminGuard },
    { provide: APP_GUARD, useExisting: AdminRateLimitGuard },
    { provide: APP_FILTER, useClass: AppExceptionFilter },
  ],
})
export class AppModule {}
