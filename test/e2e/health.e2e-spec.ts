import request from 'supertest';
import { EmbeddedMongo, startEmbeddedMongo } from '../../src/platform/database/embedded-mongo';
import { createTestApp, TestApp } from '../support/test-app';

describe('health', () => {
  it.each(['/health', '/health/ready'])(
    'GET %s answers 200 when the database answers',
    async (path) => {
      const t = await createTestApp();
      try {
        const response = await request(t.http).get(path).expect(200);
        expect(response.body).toMatchObject({ status: 'ok', info: { mongodb: { status: 'up' } } });
      } finally {
        await t.close();
      }
    },
  );

  it('GET /health/live answers 200 in terminus format, checking nothing', async () => {
    const t = await createTestApp();
    try {
      const response = await request(t.http).get('/health/live').expect(200);
      expect(response.body).toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    } finally {
      await t.close();
    }
  });

  it("is the first route express tries: probes do not pay a match against every other route's", async () => {
    const t = await createTestApp();
    try {
      const express = t.app.getHttpAdapter().getInstance() as {
        router: { stack: Array<{ route?: { path: string } }> };
      };
      const routes = express.router.stack.flatMap((layer) => layer.route?.path ?? []);
      const firstOfOurs = routes.findIndex((path) => !path.startsWith('/docs'));
      expect(routes.slice(firstOfOurs, firstOfOurs + 3)).toEqual([
        '/health/live',
        '/health/ready',
        '/health',
      ]);
    } finally {
      await t.close();
    }
  });

  describe('when the database goes away', () => {
    let mongo: EmbeddedMongo;
    let t: TestApp;

    beforeAll(async () => {
      // A server of its own, so stopping it does not disturb the other tests.
      const engine = process.env.TEST_MONGO_ENGINE as EmbeddedMongo['engine'] | undefined;
      mongo = await startEmbeddedMongo({ projectRoot: process.cwd(), engine });
      t = await createTestApp({ env: { MONGODB_URI: mongo.uri('health') } });
    });
    afterAll(async () => {
      await t.app.close();
      await mongo.stop();
    });

    it('answers 503 on readiness, in time, and stays live', async () => {
      await request(t.http).get('/health').expect(200);
      await request(t.http).get('/health/ready').expect(200);
      await mongo.stop();
      const started = Date.now();
      const response = await request(t.http).get('/health').expect(503);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(response.body).toMatchObject({
        status: 'error',
        error: { mongodb: { status: 'down' } },
      });
      const ready = await request(t.http).get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({ status: 'error', error: { mongodb: { status: 'down' } } });
      await request(t.http).get('/health/live').expect(200);
    });
  });
});
