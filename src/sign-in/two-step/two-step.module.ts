import { Module } from '@nestjs/common';
import { EmailModule } from '../../email/email.module';
import { UsersModule } from '../../users/users.module';
import { AuthModule } from '../auth.module';
import { TwoStepController } from './two-step.controller';
import { TwoStepService } from './two-step.service';

/** Turning two-step sign-in on and off (/me/two-step); signing in with it is AuthModule's. */
@Module({
  imports: [UsersModule, AuthModule, EmailModule],
  controllers: [TwoStepController],
  providers: [TwoStepService],
  exports: [TwoStepService],
})
export class TwoStepModule {}
