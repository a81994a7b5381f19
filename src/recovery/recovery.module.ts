import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { EmailModule } from '../email/email.module';
import { LinkingModule } from '../linking/linking.module';
import { UsersModule } from '../users/users.module';
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
