import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AccountModule } from './account/account.module';
import { AdminRateLimitGuard } from './admin/admin-rate-limit.guard';
import { AdminGuard } from './admin/admin.guard';
import { AdminModule } from './admin/admin.module';
import { ApiKeyGuard } from './api-keys/api-key.guard';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { PasswordLimitsModule } from './auth/password-limits.module';
import { SocialAuthModule } from './social/social-auth.module';
import { SessionGuard } from './auth/session.guard';
import { AppExceptionFilter } from './common/app-exception.filter';
import { CrossSiteRequestGuard } from './http/cross-site-request.guard';
import { AppConfig } from './config/app-config';
import { ConfigurationModule } from './configuration.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LinkingModule } from './linking/linking.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OidcModule } from './oidc/oidc.module';
import { OidcStorageModule } from './oidc-storage/oidc-storage.module';
import { ProfileFieldsModule } from './profile-fields/profile-fields.module';
import { MongoThrottlerStorage } from './rate-limits/mongo-throttler.storage';
import { RateLimitsModule } from './rate-limits/rate-limits.module';
import { RecoveryModule } from './recovery/recovery.module';
import { ShutdownModule } from './shutdown/shutdown.module';
import { VerificationModule } from './verification/verification.module';
import { UsersModule } from './users/users.module';
import { WebModule } from './web/web.module';

@Module({
  imports: [
    ConfigurationModule,
    LoggingModule,
    MetricsModule,
    // Counts attempts per client on the routes that opt in with SignInThrottle (sign-in,
    // registration, every route that checks a password), in MongoDB so that every instance counts
    // together. Per-account limits are AccountAttempts' (PasswordLimitsModule).
    ThrottlerModule.forRootAsync({
      imports: [RateLimitsModule],
      inject: [AppConfig, MongoThrottlerStorage],
      useFactory: (config: AppConfig, storage: MongoThrottlerStorage) => ({
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
    SocialAuthModule,
    LinkingModule,
    AccountModule,
    ApiKeysModule,
    ProfileFieldsModule,
    VerificationModule,
    RecoveryModule,
    // Answers AppSignIns, through which sign-in ends what the apps hold (also with no apps).
    OidcStorageModule,
    OidcModule,
    HealthModule,
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
