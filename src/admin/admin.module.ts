import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { AuthModule } from '../sign-in/auth.module';
import { EmailModule } from '../email/email.module';
import { LinkingModule } from '../sign-in/methods/identities/linking/linking.module';
import { ProfileFieldsModule } from '../users/profile-fields/profile-fields.module';
import { RateLimitsModule } from '../platform/rate-limits/rate-limits.module';
import { UsersModule } from '../users/users.module';
import { TwoStepModule } from '../sign-in/two-step/two-step.module';
import { AdminEventsController } from './admin-events.controller';
import { AdminRateLimitGuard } from './admin-rate-limit.guard';
import { AdminGuard } from './admin.guard';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

/** The admin API (/admin/…) and the operations behind it, which the CLI uses too. */
@Module({
  imports: [
    UsersModule,
    AuthModule,
    AccountModule,
    LinkingModule,
    EmailModule,
    ProfileFieldsModule,
    RateLimitsModule,
    TwoStepModule,
  ],
  controllers: [AdminUsersController, AdminEventsController],
  providers: [AdminUsersService, AdminGuard, AdminRateLimitGuard],
  exports: [AdminUsersService, AdminGuard, AdminRateLimitGuard],
})
export class AdminModule {}
