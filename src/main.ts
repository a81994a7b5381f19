import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { AppConfig, InvalidConfigurationError } from './config/app-config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  configureApp(app);
  app.enableShutdownHooks();
  const config = app.get(AppConfig);
  await app.listen(config.PORT);
  app.get(Logger).log(`Account service listening on port ${config.PORT}, public URL ${config.publicUrl}`);
}

bootstrap().catch((error: unknown) => {
  // Configuration problems are the usual first-run failure: say exactly what to fix.
  const message =
    error instanceof InvalidConfigurationError ? error.message : error instanceof Error ? error.stack : String(error);
  console.error(`The account service could not start.\n${message}`);
  process.exit(1);
});
