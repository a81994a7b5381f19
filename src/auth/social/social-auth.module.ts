import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { LinkingModule } from '../../linking/linking.module';
import { UsersModule } from '../../users/users.module';
import { AuthModule } from '../auth.module';
import { ProviderRegistry } from '../providers/provider-registry';
import { SignInFlow, SignInFlowSchema } from './sign-in-flow.schema';
import { SignInFlows } from './sign-in-flows.service';
import { SocialAuthController } from './social-auth.controller';
import { SocialAuthService } from './social-auth.service';
import { SocialSignInService } from './social-sign-in.service';

@Module({
  imports: [
    AuthModule,
    UsersModule,
    LinkingModule,
    MongooseModule.forFeature([{ name: SignInFlow.name, schema: SignInFlowSchema }]),
  ],
  controllers: [SocialAuthController],
  providers: [SignInFlows, ProviderRegistry, SocialAuthService, SocialSignInService],
  exports: [SocialAuthService],
})
export class SocialAuthModule {}
