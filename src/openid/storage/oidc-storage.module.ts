import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AppSignIns } from '../../sign-in/app-sign-ins';
import { AppGrants } from './app-grants';
import { BackchannelLogout, BackchannelLogoutSchema } from './backchannel-logout.schema';
import { BackchannelLogouts } from './backchannel-logouts';
import { ProviderRecords } from './provider-records';

/**
 * The OpenID Connect provider's storage, apart from the provider itself. Global because it answers
 * sign-in's AppSignIns (ending what the apps hold on sign-out, a password change, a deletion…):
 * sign-in depends on that port only, never on the provider.
 */
@Global()
@Module({
  imports: [
    MongooseModule.forFeature([{ name: BackchannelLogout.name, schema: BackchannelLogoutSchema }]),
  ],
  providers: [
    ProviderRecords,
    AppGrants,
    { provide: AppSignIns, useExisting: ProviderRecords },
    BackchannelLogouts,
  ],
  // The back-channel outbox, for its relay (OidcModule).
  exports: [ProviderRecords, AppGrants, AppSignIns, BackchannelLogouts, MongooseModule],
})
export class OidcStorageModule {}
