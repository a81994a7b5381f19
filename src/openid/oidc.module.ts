import { Module } from '@nestjs/common';
import { AuthModule } from '../sign-in/auth.module';
import { UsersModule } from '../users/users.module';
import { ShutdownModule } from '../platform/shutdown/shutdown.module';
import { OidcStorageModule } from './storage/oidc-storage.module';
import { BackchannelLogoutRelay } from './backchannel/backchannel-logout-relay';
import { LogoutTokens } from './backchannel/logout-token';
import { IdTokenHints } from './id-token-hint';
import { InteractionController } from './interaction.controller';
import { LogoutRequests } from './logout-request';
import { OidcProvider } from './oidc-provider.service';
import { ServiceSession } from './service-session';
import { SigningKeys } from './signing-keys';

/** This service as the OpenID Connect provider of the team's apps. */
@Module({
  imports: [UsersModule, AuthModule, OidcStorageModule, ShutdownModule],
  controllers: [InteractionController],
  providers: [
    SigningKeys,
    ServiceSession,
    OidcProvider,
    IdTokenHints,
    LogoutRequests,
    LogoutTokens,
    BackchannelLogoutRelay,
  ],
  exports: [OidcProvider, SigningKeys, LogoutRequests],
})
export class OidcModule {}
