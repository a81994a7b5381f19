import { Module } from '@nestjs/common';
import { ProfileFieldsController } from './profile-fields.controller';
import { ProfileFields } from './profile-fields.service';

@Module({
  controllers: [ProfileFieldsController],
  providers: [ProfileFields],
  exports: [ProfileFields],
})
export class ProfileFieldsModule {}
