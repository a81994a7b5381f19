import { Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module';
import { AuthModule } from '../auth/auth.module';
import { EmailModule } from '../email/email.module';
import { LinkingModule } from '../linking/linking.module';
import { ProfileFieldsModule } from '../profile-fields/profile-fields.module';
import { RateLimitsModule } from '../rate-limits/rate-limits.module';
import { UsersModule } from '../users/users.module';
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
  ],
  controllers: [AdminUsersController, AdminEventsController],
  providers: [AdminUsersService, AdminGuard, AdminRateLimitGuard],
  exports: [AdminUsersService, AdminGuard, AdminRateLimitGuard],
})
export class AdminModule {}
