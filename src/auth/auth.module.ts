import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { EmailModule } from '../email/email.module';
import { ProfileFieldsModule } from '../profile-fields/profile-fields.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LocalStrategy } from './local.strategy';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicy } from './password-policy.service';
import { Session, SessionSchema } from './schemas/session.schema';
import { BrowserSessions } from './browser-sessions';
import { ReauthenticationController } from './reauthentication.controller';
import { RecentSignInGuard } from './recent-sign-in.guard';
import { SessionCookie } from './session-cookie';
import { SessionGuard } from './session.guard';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { SignInWrites } from './sign-in-writes';

@Module({
  imports: [
    UsersModule,
    EmailModule,
    ProfileFieldsModule,
    PassportModule,
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
    SessionGuard,
    RecentSignInGuard,
  ],
})
export class AuthModule {}
