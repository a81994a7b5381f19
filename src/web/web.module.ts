import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { OidcModule } from '../openid/oidc.module';
import { AuthModule } from '../sign-in/auth.module';
import { SocialAuthModule } from '../sign-in/methods/identities/social-auth.module';
import { LinkingModule } from '../sign-in/methods/identities/linking/linking.module';
import { PasskeysModule } from '../sign-in/methods/passkeys/passkeys.module';
import { TwoStepModule } from '../sign-in/two-step/two-step.module';
import { ProfileFieldsModule } from '../users/profile-fields/profile-fields.module';
import { RecoveryModule } from '../account/recovery/recovery.module';
import { VerificationModule } from '../account/email-verification/verification.module';
import { ErrorPages } from '../platform/http/error-pages';
import { RateLimitsModule } from '../platform/rate-limits/rate-limits.module';
import { DevicePageController } from './device-page.controller';
import { AppsModule } from '../openid/apps/apps.module';
import { ConsentPageController } from './consent-page.controller';
import { AuthPagesController } from './auth-pages.controller';
import { CsrfGuard } from './csrf.guard';
import { CsrfService } from './csrf.service';
import { EmailPagesController } from './email-pages.controller';
import { OAuthLogoutController } from './oauth-logout.controller';
import { PageErrorFilter } from './page-error.filter';
import { PagesService } from './pages.service';
import { SecondFactorPageController } from './second-factor-page.controller';
import { ConfirmItsYouController } from './settings/confirm-its-you.controller';
import { DeleteAccountController } from './settings/delete-account.controller';
import { PasskeysSettingsController } from './settings/passkeys-settings.controller';
import { ProfileSettingsController } from './settings/profile-settings.controller';
import { SessionsSettingsController } from './settings/sessions-settings.controller';
import { AppsSettingsController } from './settings/apps-settings.controller';
import { SettingsController } from './settings/settings.controller';
import { SettingsPage } from './settings/settings-page';
import { TwoStepSettingsController } from './settings/two-step-settings.controller';
import { WaysInSettingsController } from './settings/ways-in-settings.controller';

/** Server-rendered pages for people in a browser, on the same services as the JSON API. */
@Module({
  imports: [
    AuthModule,
    AccountModule,
    LinkingModule,
    SocialAuthModule,
    PasskeysModule,
    TwoStepModule,
    VerificationModule,
    RecoveryModule,
    ProfileFieldsModule,
    OidcModule,
    RateLimitsModule,
    AppsModule,
  ],
  controllers: [
    AuthPagesController,
    SecondFactorPageController,
    SettingsController,
    ProfileSettingsController,
    WaysInSettingsController,
    PasskeysSettingsController,
    TwoStepSettingsController,
    SessionsSettingsController,
    AppsSettingsController,
    ConfirmItsYouController,
    DeleteAccountController,
    EmailPagesController,
    DevicePageController,
    ConsentPageController,
    OAuthLogoutController,
  ],
  providers: [
    CsrfService,
    CsrfGuard,
    PagesService,
    PageErrorFilter,
    SettingsPage,
    // The global exception filter renders error pages through the pages, with their header.
    { provide: ErrorPages, useExisting: PagesService },
  ],
  exports: [ErrorPages],
})
export class WebModule {}
