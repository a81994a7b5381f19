// The yardstick for the service's cheapest route: a minimal NestJS app on the same express platform
// (NestFactory's defaults, one controller), answering GET /health/live with the same body as the
// service's. Started by bench/run.js on PORT.
//
// With WITH_SERVICE_WORK=1, `/health/live`'s floor: the same app doing what the service does for
// every request whatever its route, with the service's own code from dist/ (npm run build): its
// latency histogram, its request line (request id and log context included), its security headers,
// and express without ETag or X-Powered-By, as configure-app.ts sets it. What the service does on
// top (its hundred routes, global guards, cookies, body parsers, audit context) is not in it.
'use strict';
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

class LiveController {
  live() {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }
}
Get('live')(
  LiveController.prototype,
  'live',
  Object.getOwnPropertyDescriptor(LiveController.prototype, 'live'),
);
Controller('health')(LiveController);

class MinimalModule {}
Module({ controllers: [LiveController] })(MinimalModule);

/** The service's per-request work, as configure-app.ts mounts it (with default settings). */
function addServiceWork(app) {
  const { Registry } = require('prom-client');
  const { inSequence } = require('../dist/platform/http/in-sequence');
  const { HttpMetrics } = require('../dist/platform/metrics/http-metrics');
  const { createRequestLogger } = require('../dist/platform/logging/logger.options');
  const { responseHeaders } = require('../dist/web/response-headers');
  app.disable('x-powered-by');
  app.set('etag', false);
  const requestLog = createRequestLogger({ LOG_LEVEL: 'info' });
  app.use(
    inSequence(
      new HttpMetrics(new Registry()).middleware(),
      requestLog.middleware,
      // No sign-in providers and no apps: the pages' form targets are the service's own.
      responseHeaders(
        { publicUrl: 'http://localhost:3000' },
        { providers: [] },
        { oidcClients: [] },
      ),
      requestLog.bind,
    ),
  );
}

NestFactory.create(MinimalModule, { logger: ['error'] })
  .then((app) => {
    if (process.env.WITH_SERVICE_WORK === '1') addServiceWork(app);
    app.enableShutdownHooks();
    return app.listen(Number(process.env.PORT), '127.0.0.1');
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
