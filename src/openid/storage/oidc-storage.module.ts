import { Global, Module } from '@nestjs/common';
import { AppSignIns } from '../../sign-in/app-sign-ins';
import { AppGrants } from './app-grants';
import { ProviderRecords } from './provider-records';

/**
 * The OpenID Connect provider's storage, apart from the provider itself. Global because it answers
 * sign-in's AppSignIns (ending what the apps hold on sign-out, a password change, a deletion…):
 * sign-in depends on that port only, never on the provider.
 */
@Global()
@Module({
  providers: [ProviderRecords, AppGrants, { provide: AppSignIns, useExisting: ProviderRecords }],
  exports: [ProviderRecords, AppGrants, AppSignIns],
})
export class OidcStorageModule {}
