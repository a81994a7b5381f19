import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { UsersModule } from '../../../users/users.module';
import { PasskeyCeremonies } from './passkey-ceremonies';
import { PasskeyChallenge, PasskeyChallengeSchema } from './passkey-challenge.schema';
import { PasskeyChallenges } from './passkey-challenges';
import { RelyingParty } from './relying-party';

/**
 * The WebAuthn ceremonies and their challenges, apart from the routes (PasskeysModule): the
 * re-authentication in AuthModule checks assertions too, and PasskeysModule builds on AuthModule.
 */
@Module({
  imports: [
    UsersModule,
    MongooseModule.forFeature([{ name: PasskeyChallenge.name, schema: PasskeyChallengeSchema }]),
  ],
  providers: [RelyingParty, PasskeyChallenges, PasskeyCeremonies],
  exports: [PasskeyCeremonies],
})
export class PasskeyCeremoniesModule {}
