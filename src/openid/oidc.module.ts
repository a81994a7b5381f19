import { Module } from '@nestjs/common';
import { AuthModule } from '../sign-in/auth.module';
import { UsersModule } from '../users/users.module';
import { OidcStorageModule } from './storage/oidc-storage.module';
import { InteractionController } from './interaction.controller';
import { LogoutController } from './logout.controller';
import { OidcProvider } from './oidc-provider.service';
import { ServiceSession } from './service-session';
import { SigningKeys } from './signing-keys';

/** This service as the OpenID Connect provider of the team's apps. */
@Module({
  imports: [UsersModule, AuthModule, OidcStorageModule],
  controllers: [InteractionController, LogoutController],
  providers: [SigningKeys, ServiceSession, OidcProvider],
  exports: [OidcProvider, SigningKeys],
})
export class OidcModule {}
