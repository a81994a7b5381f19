import { Module } from '@nestjs/common';
import { AuthModule } from '../../../auth.module';
import { EmailModule } from '../../../../email/email.module';
import { UsersModule } from '../../../../users/users.module';
import { ConnectionsController } from './connections.controller';
import { LinkingService } from './linking.service';

@Module({
  imports: [UsersModule, AuthModule, EmailModule],
  controllers: [ConnectionsController],
  providers: [LinkingService],
  exports: [LinkingService],
})
export class LinkingModule {}
