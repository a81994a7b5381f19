import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { LastAdminRule } from './last-admin.rule';
import { Lock, LockSchema } from './schemas/lock.schema';
import { User, UserSchema } from './schemas/user.schema';
import { TwoStepRecords } from './two-step-records';
import { UsersRepository } from './users.repository';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: User.name, schema: UserSchema },
      { name: Lock.name, schema: LockSchema },
    ]),
  ],
  providers: [UsersRepository, LastAdminRule, TwoStepRecords],
  exports: [UsersRepository, LastAdminRule, TwoStepRecords],
})
export class UsersModule {}
