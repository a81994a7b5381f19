import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './platform/config/app-config';
import { InvalidConfigurationError } from './platform/config/config-area';
import { configureApp } from './configure-app';
import { readConfiguration } from './configuration';

async function bootstrap(): Promise<void> {
  // Check the configuration (environment plus .env) before anything starts, so a mistake gets one
  // clear message rather than a stack trace from deep inside the framework.
  await ConfigModule.envVariablesLoaded;
  readConfiguration(process.env);

  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bufferLogs: true,
    bodyParser: false,
    // Let start-up errors reach the handler below instead of Nest exiting on its own.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureApp(app);
  app.enableShutdownHooks();
  const config = app.get(AppConfig);
  await app.listen(config.PORT);
  app
    .get(Logger)
    .log(`Account service listening on port ${config.PORT}, public URL ${config.publicUrl}`);
}

bootstrap().catch((error: unknown) => {
  const message =
    error instanceof InvalidConfigurationError
      ? `${error.message}\nSee .env.example for every setting.`
      : error instanceof Error
        ? error.stack
        : String(error);
  console.error(`The account service could not start.\n${message}`);
  process.exit(1);
});
