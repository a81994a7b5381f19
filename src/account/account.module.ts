import { Module } from '@nestjs/common';
import { AuthModule } from '../sign-in/auth.module';
import { EmailModule } from '../email/email.module';
import { ProfileFieldsModule } from '../users/profile-fields/profile-fields.module';
import { UsersModule } from '../users/users.module';
import { VerificationModule } from './email-verification/verification.module';
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
