import { INestApplication } from '@nestjs/common';
import { Router } from 'express';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { join } from 'node:path';
import type { HttpLogger } from 'pino-http';
import { formBody, jsonBody } from './common/body-parsers';
import { cookies } from './http/cookies';
import { methodNotAllowed } from './http/method-not-allowed';
import { AppValidationPipe } from './common/validation.pipe';
import { AppConfig } from './config/app-config';
import { REQUEST_LOGGER } from './logging/logger.options';
import { HttpMetrics } from './metrics/http-metrics';
import { OidcProvider } from './oidc/oidc-provider.service';
import { createOpenApiDocument } from './openapi/openapi-document';
import { noStore, securityHeaders } from './web/response-headers';
import { configureViews, PAGE_PATHS } from './web/views';

/** Everything main.ts and the tests apply to the app alike: parsers, pipes, security headers, docs. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  // helmet removes the header anyway; not setting it spares every response the round trip.
  app.disable('x-powered-by');
  // First, so that every request is timed and logged, also those the middleware below refuses.
  app.use(app.get(HttpMetrics).middleware());
  app.use(app.get<HttpLogger>(REQUEST_LOGGER));
  // Then the headers, which every answer carries, errors included.
  app.use(securityHeaders(config), noStore);
  if (config.ALLOWED_ORIGINS.length > 0) {
    app.enableCors({
      origin: config.ALLOWED_ORIGINS.map((url) => new URL(url).origin),
      credentials: true,
    });
  }
  // A known path with a method it does not take: 405 with Allow (after CORS's preflight answers).
  app.use(methodNotAllowed(app));
  app.use(...cookies(config));
  // The OpenID Connect provider's own endpoints (when apps are configured) read their own bodies.
  app.use(app.get(OidcProvider).middleware());
  app.use(...jsonBody());
  // Only the pages take HTML forms: the JSON API never reads a body a cross-site form could send.
  // In a router of their own, so that other requests are matched against the page paths once
  // rather than once per handler.
  app.use(PAGE_PATHS, Router().use(...formBody()));
  const root = join(__dirname, '..');
  configureViews(app, root);
  app.useGlobalPipes(new AppValidationPipe());
  SwaggerModule.setup('docs', app, createOpenApiDocument(app, root));
  return app;
}
