import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { ConnectionsController } from './connections.controller';
import { LinkingService } from './linking.service';

@Module({
  imports: [UsersModule],
  controllers: [ConnectionsController],
  providers: [LinkingService],
  exports: [LinkingService],
})
export class LinkingModule {}
