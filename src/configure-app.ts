import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { join } from 'node:path';
import { formBody, jsonBody } from './platform/http/body-parsers';
import { cookies } from './platform/http/cookies';
import { inSequence } from './platform/http/in-sequence';
import { methodNotAllowed } from './platform/http/method-not-allowed';
import { AppValidationPipe } from './platform/http/validation.pipe';
import { AppConfig } from './platform/config/app-config';
import { REQUEST_LOGGER } from './platform/logging/logger.options';
import type { RequestLog } from './platform/logging/request-log';
import { RequestContext } from './audit/events/request-context';
import { HttpMetrics } from './platform/metrics/http-metrics';
import { OidcProvider } from './openid/oidc-provider.service';
import { OpenIdConfig, openIdConfig } from './openid/openid-config';
import {
  ProvidersConfig,
  providersConfig,
} from './sign-in/methods/identities/providers/providers-config';
import { createOpenApiDocument } from './openapi/openapi-document';
import { responseHeaders } from './web/response-headers';
import { configureViews, PAGE_PATHS } from './web/views';

/** Everything main.ts and the tests apply to the app alike: parsers, pipes, security headers, docs. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get(AppConfig);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  // helmet removes the header anyway; not setting it spares every response the round trip.
  app.disable('x-powered-by');
  // Every answer but the static files (which serve-static tags itself) is `no-store`: no cache
  // keeps it, so no client holds a validator to send back, and hashing each body would be waste.
  app.set('etag', false);
  const requestLog = app.get<RequestLog>(REQUEST_LOGGER);
  // Middleware that every request passes through sits in as few express layers as it can
  // (inSequence): each layer costs every request a step through express's router.
  // First, so that every request is timed and logged, also those the middleware below refuses;
  // then the headers, which every answer carries, errors included.
  app.use(
    inSequence(
      app.get(HttpMetrics).middleware(),
      requestLog.middleware,
      responseHeaders(
        config,
        app.get<ProvidersConfig>(providersConfig.KEY),
        app.get<OpenIdConfig>(openIdConfig.KEY),
      ),
    ),
  );
  if (config.ALLOWED_ORIGINS.length > 0) {
    app.enableCors({
      origin: config.ALLOWED_ORIGINS.map((url) => new URL(url).origin),
      credentials: true,
    });
  }
  // First a known path with a method it does not take: 405 with Allow (after CORS's preflight
  // answers). The OpenID Connect provider's own endpoints read their own bodies, so they come
  // before the JSON parser; without apps, there are none.
  const oidc = app.get(OidcProvider);
  app.use(
    inSequence(
      methodNotAllowed(app),
      cookies(config),
      ...(oidc.enabled ? [oidc.middleware()] : []),
      jsonBody(),
    ),
  );
  // Only the pages take HTML forms: the JSON API never reads a body a cross-site form could send.
  app.use(PAGE_PATHS, formBody());
  // Once the bodies are read (a context opened before would be lost in the parsers' stream
  // callbacks): the request's logger for Nest's Logger, and who acts, for the audit log.
  app.use(inSequence(requestLog.bind, app.get(RequestContext).middleware));
  const root = join(__dirname, '..');
  configureViews(app, root);
  app.useGlobalPipes(new AppValidationPipe());
  SwaggerModule.setup('docs', app, createOpenApiDocument(app, root));
  return app;
}
