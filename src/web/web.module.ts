import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { AuthModule } from '../auth/auth.module';
import { SocialAuthModule } from '../social/social-auth.module';
import { LinkingModule } from '../linking/linking.module';
import { ProfileFieldsModule } from '../profile-fields/profile-fields.module';
import { RecoveryModule } from '../recovery/recovery.module';
import { VerificationModule } from '../verification/verification.module';
import { ErrorPages } from '../common/error-pages';
import { AuthPagesController } from './auth-pages.controller';
import { CsrfService } from './csrf.service';
import { EmailPagesController } from './email-pages.controller';
import { PagesService } from './pages.service';
import { SettingsPageFilter } from './settings-page.filter';
import { SettingsPagesController } from './settings-pages.controller';

/** Server-rendered pages for people in a browser, on the same services as the JSON API. */
@Module({
  imports: [
    AuthModule,
    AccountModule,
    LinkingModule,
    SocialAuthModule,
    VerificationModule,
    RecoveryModule,
    ProfileFieldsModule,
  ],
  controllers: [AuthPagesController, SettingsPagesController, EmailPagesController],
  providers: [
    CsrfService,
    PagesService,
    SettingsPageFilter,
    // The global exception filter renders error pages through the pages, with their header.
    { provide: ErrorPages, useExisting: PagesService },
  ],
  exports: [ErrorPages],
})
export class WebModule {}
