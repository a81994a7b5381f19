import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { EmailModule } from '../email/email.module';
import { ProfileFieldsModule } from '../users/profile-fields/profile-fields.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LocalStrategy } from './methods/password/local.strategy';
import { PasskeyCeremoniesModule } from './methods/passkeys/passkey-ceremonies.module';
import { PasswordHasher } from './methods/password/password-hasher.service';
import { PasswordPolicy } from './methods/password/password-policy.service';
import { Session, SessionSchema } from './sessions/session.schema';
import { BrowserSessions } from './sessions/browser-sessions';
import { ReauthenticationController } from './reauthentication/reauthentication.controller';
import { RecentSignInGuard } from './reauthentication/recent-sign-in.guard';
import { SessionCookie } from './sessions/session-cookie';
import { SessionGuard } from './sessions/session.guard';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsRepository } from './sessions/sessions.repository';
import { SessionsService } from './sessions/sessions.service';
import { SignInWrites } from './sign-in-writes';
import { SignInService } from './sign-in.service';

@Module({
  imports: [
    UsersModule,
    EmailModule,
    ProfileFieldsModule,
    PassportModule,
    PasskeyCeremoniesModule,
    MongooseModule.forFeature([{ name: Session.name, schema: SessionSchema }]),
  ],
  controllers: [AuthController, ReauthenticationController, SessionsController],
  providers: [
    AuthService,
    LocalStrategy,
    PasswordHasher,
    PasswordPolicy,
    SessionsRepository,
    SessionsService,
    SessionCookie,
    BrowserSessions,
    SignInWrites,
    SignInService,
    SessionGuard,
    RecentSignInGuard,
  ],
  exports: [
    AuthService,
    PasswordHasher,
    PasswordPolicy,
    SessionsService,
    SessionCookie,
    BrowserSessions,
    SignInService,
    SessionGuard,
    RecentSignInGuard,
  ],
})
export class AuthModule {}
