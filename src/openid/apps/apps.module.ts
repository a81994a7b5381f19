import { Module } from '@nestjs/common';
import { AuthModule } from '../../sign-in/auth.module';
import { AppsController } from './apps.controller';
import { AppsWithAccess } from './apps-with-access';

/** /me/apps: the apps with access to the account (the provider's grants, OidcStorageModule). */
@Module({
  imports: [AuthModule],
  controllers: [AppsController],
  providers: [AppsWithAccess],
  // The settings page lists and removes them through the same service.
  exports: [AppsWithAccess],
})
export class AppsModule {}
