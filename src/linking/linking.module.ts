import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { ConnectionsController } from './connections.controller';
import { LinkingService } from './linking.service';

@Module({
  imports: [UsersModule, AuthModule],
  controllers: [ConnectionsController],
  providers: [LinkingService],
  exports: [LinkingService],
})
export class LinkingModule {}
