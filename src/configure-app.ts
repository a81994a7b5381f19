import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { jsonBody } from './common/json-body';
import { AppValidationPipe } from './common/validation.pipe';
import { AppConfig } from './config/app-config';

/** Everything main.ts and the tests apply to the app alike: parsers, pipes, security headers, docs. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  app.use(...jsonBody());
  app.use(cookieParser());
  app.use(helmet());
  app.useGlobalPipes(new AppValidationPipe());
  if (config.ALLOWED_ORIGINS.length > 0) {
    app.enableCors({
      origin: config.ALLOWED_ORIGINS.map((url) => new URL(url).origin),
      credentials: true,
    });
  }
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Account service')
      .setDescription('Accounts, sign-in, sessions and settings.')
      .addCookieAuth(config.SESSION_COOKIE_NAME)
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
