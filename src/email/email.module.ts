import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MailModule } from '../mail/mail.module';
import { AccountNotices } from './account-notices';
import { EmailLinks } from './email-links';
import { OneTimeToken, OneTimeTokenSchema } from './one-time-token.schema';
import { OneTimeTokens } from './one-time-tokens';

/** What the service sends to an account's address: links with one-time tokens, and notices. */
@Module({
  imports: [
    MailModule,
    MongooseModule.forFeature([{ name: OneTimeToken.name, schema: OneTimeTokenSchema }]),
  ],
  providers: [OneTimeTokens, EmailLinks, AccountNotices],
  exports: [OneTimeTokens, EmailLinks, AccountNotices],
})
export class EmailModule {}
