import { Module } from '@nestjs/common';
import { AuthModule } from '../../sign-in/auth.module';
import { EmailModule } from '../../email/email.module';
import { LinkingModule } from '../../sign-in/methods/identities/linking/linking.module';
import { UsersModule } from '../../users/users.module';
import { EmailVerificationController } from './email-verification.controller';
import { EmailVerification } from './email-verification.service';

/** Proving control of an email address, and changing it only once the new one is proven. */
@Module({
  imports: [UsersModule, AuthModule, EmailModule, LinkingModule],
  controllers: [EmailVerificationController],
  providers: [EmailVerification],
  exports: [EmailVerification],
})
export class VerificationModule {}
