import { Module } from '@nestjs/common';
import { AuthModule } from '../../sign-in/auth.module';
import { EmailModule } from '../../email/email.module';
import { LinkingModule } from '../../sign-in/methods/identities/linking/linking.module';
import { UsersModule } from '../../users/users.module';
import { PasswordRecoveryController } from './password-recovery.controller';
import { PasswordRecovery } from './password-recovery.service';

/** Forgotten passwords: a link by email sets a new one. */
@Module({
  imports: [UsersModule, AuthModule, EmailModule, LinkingModule],
  controllers: [PasswordRecoveryController],
  providers: [PasswordRecovery],
  exports: [PasswordRecovery],
})
export class RecoveryModule {}
