import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { InteractionController } from './interaction.controller';
import { OidcProvider } from './oidc-provider.service';
import { SigningKeys } from './signing-keys';

/** This service as the OpenID Connect provider of the team's apps. */
@Module({
  imports: [UsersModule, AuthModule],
  controllers: [InteractionController],
  providers: [SigningKeys, OidcProvider],
  exports: [OidcProvider, SigningKeys],
})
export class OidcModule {}
