import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';

describe('the OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('carries the version and licence of package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };
    const response = await request(t.http).get('/docs-json').expect(200);
    expect(response.body.info.version).toBe(pkg.version);
    expect(response.body.info.license.name).toBe(pkg.license);
  });
});
