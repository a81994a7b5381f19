// The yardstick for the service's cheapest route: a minimal NestJS app on the same express platform
// (NestFactory's defaults, one controller), answering GET /health/live with the same body as the
// service's. Started by bench/run.js on PORT.
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

NestFactory.create(MinimalModule, { logger: ['error'] })
  .then((app) => {
    app.enableShutdownHooks();
    return app.listen(Number(process.env.PORT), '127.0.0.1');
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
