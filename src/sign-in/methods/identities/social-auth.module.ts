import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../../auth.module';
import { LinkingModule } from './linking/linking.module';
import { UsersModule } from '../../../users/users.module';
import { ConnectController } from './connect.controller';
import { FlowCookie } from './flow-cookie';
import { ProviderClients } from './provider-clients';
import { SignInFlow, SignInFlowSchema } from './sign-in-flow.schema';
import { SignInFlows } from './sign-in-flows';
import { SocialAuthController } from './social-auth.controller';
import { SocialAuthService } from './social-auth.service';
import { SocialSignInService } from './social-sign-in.service';

/** Sign-in, linking and re-authentication through providers. */
@Module({
  imports: [
    AuthModule,
    UsersModule,
    LinkingModule,
    MongooseModule.forFeature([{ name: SignInFlow.name, schema: SignInFlowSchema }]),
  ],
  controllers: [SocialAuthController, ConnectController],
  providers: [SignInFlows, FlowCookie, ProviderClients, SocialAuthService, SocialSignInService],
  exports: [SocialAuthService, FlowCookie, ProviderClients],
})
export class SocialAuthModule {}
