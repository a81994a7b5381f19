import { Module } from '@nestjs/common';
import { ProviderRecords } from './provider-records';

/**
 * The OpenID Connect provider's storage, apart from the provider itself so that the sessions of
 * this service (auth) can revoke what the apps hold without depending on the provider.
 */
@Module({
  providers: [ProviderRecords],
  exports: [ProviderRecords],
})
export class OidcStorageModule {}
