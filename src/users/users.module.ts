import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { enabledProviders } from '../auth/providers/provider-catalog';
import { AppConfig } from '../config/app-config';
import { createUserSchema, User } from './schemas/user.schema';
import { UsersRepository } from './users.repository';

@Module({
  imports: [
    MongooseModule.forFeatureAsync([
      {
        name: User.name,
        inject: [AppConfig],
        useFactory: (config: AppConfig) =>
          createUserSchema(enabledProviders(config).map(({ key }) => key)),
      },
    ]),
  ],
  providers: [UsersRepository],
  exports: [UsersRepository],
})
export class UsersModule {}
