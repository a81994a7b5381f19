import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './platform/config/app-config';
import { CONFIG_AREAS } from './configuration';

/**
 * Loads an optional .env into the environment, then validates it into one typed class per area
 * (main.ts has checked every area together before: see readConfiguration).
 */
@Global()
@Module({
  imports: [
    ConfigModule.forRoot({
      ignoreEnvFile: process.env.NODE_ENV === 'test',
      isGlobal: true,
      load: [...CONFIG_AREAS],
    }),
  ],
  providers: [{ provide: AppConfig, useFactory: () => AppConfig.fromEnvironment(process.env) }],
  exports: [AppConfig],
})
export class ConfigurationModule {}
