import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MailModule } from './delivery/mail.module';
import { UsersModule } from '../users/users.module';
import { AccountNotices } from './account-notices';
import { EmailLinks } from './email-links';
import { MailSlots } from './mail-slots';
import { OneTimeToken, OneTimeTokenSchema } from './one-time-token.schema';
import { OneTimeTokens } from './one-time-tokens';

/**
 * What the service sends to an account's address: links with one-time tokens (at most one of a kind
 * a minute when a request asks for it), and notices.
 */
@Module({
  imports: [
    MailModule,
    UsersModule,
    MongooseModule.forFeature([{ name: OneTimeToken.name, schema: OneTimeTokenSchema }]),
  ],
  providers: [OneTimeTokens, EmailLinks, AccountNotices, MailSlots],
  exports: [OneTimeTokens, EmailLinks, AccountNotices, MailSlots],
})
export class EmailModule {}
