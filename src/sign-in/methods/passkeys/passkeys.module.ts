import { Module } from '@nestjs/common';
import { EmailModule } from '../../../email/email.module';
import { ProfileFieldsModule } from '../../../users/profile-fields/profile-fields.module';
import { UsersModule } from '../../../users/users.module';
import { AuthModule } from '../../auth.module';
import { PasskeyAuthController } from './passkey-auth.controller';
import { PasskeyCeremoniesModule } from './passkey-ceremonies.module';
import { PasskeySignIn } from './passkey-sign-in.service';
import { PasskeysController } from './passkeys.controller';
import { PasskeysService } from './passkeys.service';

/** Passkeys: /me/passkeys, signing in and up with one (/auth/passkey, /auth/register/passkey). */
@Module({
  imports: [UsersModule, AuthModule, EmailModule, ProfileFieldsModule, PasskeyCeremoniesModule],
  controllers: [PasskeysController, PasskeyAuthController],
  providers: [PasskeysService, PasskeySignIn],
  // The settings pages rename and remove passkeys through the same service.
  exports: [PasskeysService],
})
export class PasskeysModule {}
