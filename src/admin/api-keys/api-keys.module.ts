import { Module } from '@nestjs/common';
import { AuthModule } from '../../sign-in/auth.module';
import { MongooseModule } from '@nestjs/mongoose';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKey, ApiKeySchema } from './api-key.schema';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

/** API keys for other backends: the admin routes that manage them, and the guard that checks them. */
@Module({
  // AuthModule: the recent sign-in an admin's session needs to create or revoke a key.
  imports: [AuthModule, MongooseModule.forFeature([{ name: ApiKey.name, schema: ApiKeySchema }])],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeyGuard],
  exports: [ApiKeysService, ApiKeyGuard],
})
export class ApiKeysModule {}
