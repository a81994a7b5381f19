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

  it('describes the session routes and a session item, with nothing of its token', async () => {
    const { body } = await request(t.http).get('/docs-json').expect(200);
    expect(Object.keys(body.paths['/me/sessions'])).toEqual(['get', 'delete']);
    expect(body.paths['/me/sessions/{id}'].delete.responses).toHaveProperty('404');
    const item = body.components.schemas.SessionView;
    expect(Object.keys(item.properties).sort()).toEqual(
      ['createdAt', 'current', 'id', 'ip', 'lastSeenAt', 'signedInWith', 'userAgent'].sort(),
    );
    expect(item.required).toEqual(expect.arrayContaining(Object.keys(item.properties)));
  });
});
