import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { EmailModule } from '../email/email.module';
import { ProfileFieldsModule } from '../profile-fields/profile-fields.module';
import { UsersModule } from '../users/users.module';
import { VerificationModule } from '../verification/verification.module';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';
import { EventsController } from './events.controller';

@Module({
  imports: [UsersModule, AuthModule, EmailModule, VerificationModule, ProfileFieldsModule],
  controllers: [AccountController, EventsController],
  providers: [AccountService],
  exports: [AccountService],
})
export class AccountModule {}
