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
import { Reauthentication } from './reauthentication/reauthentication.service';
import { RecentSignInGuard } from './reauthentication/recent-sign-in.guard';
import { SessionCookie } from './sessions/session-cookie';
import { SessionGuard } from './sessions/session.guard';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsRepository } from './sessions/sessions.repository';
import { SessionsService } from './sessions/sessions.service';
import { SignInWrites } from './sign-in-writes';
import { SignInService } from './sign-in.service';
import { SecondFactorCheck } from './two-step/second-factor-check';
import { SecondFactorController } from './two-step/second-factor.controller';
import { PendingSecondStep, PendingSecondStepSchema } from './two-step/second-step.schema';
import { SecondStepCookie } from './two-step/second-step-cookie';
import { SecondStepPage } from './two-step/second-step-page';
import { SecondStepSignIn } from './two-step/second-step-sign-in';
import { SecondSteps } from './two-step/second-steps';
import { TwoStepSecrets } from './two-step/two-step-secrets';

@Module({
  imports: [
    UsersModule,
    EmailModule,
    ProfileFieldsModule,
    PassportModule,
    PasskeyCeremoniesModule,
    MongooseModule.forFeature([
      { name: Session.name, schema: SessionSchema },
      { name: PendingSecondStep.name, schema: PendingSecondStepSchema },
    ]),
  ],
  controllers: [
    AuthController,
    ReauthenticationController,
    SessionsController,
    SecondFactorController,
  ],
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
    Reauthentication,
    SessionGuard,
    RecentSignInGuard,
    SecondSteps,
    SecondStepCookie,
    SecondFactorCheck,
    SecondStepSignIn,
    SecondStepPage,
    TwoStepSecrets,
  ],
  exports: [
    AuthService,
    PasswordHasher,
    PasswordPolicy,
    SessionsService,
    SessionCookie,
    BrowserSessions,
    SignInService,
    Reauthentication,
    SessionGuard,
    RecentSignInGuard,
    SecondStepCookie,
    SecondFactorCheck,
    SecondStepSignIn,
    SecondStepPage,
    TwoStepSecrets,
  ],
})
export class AuthModule {}
