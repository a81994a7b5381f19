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

  it('lists no profile fields when PROFILE_FIELDS is unset', async () => {
    const response = await request(t.http).get('/profile-fields').expect(200);
    expect(response.body).toEqual([]);
  });

  it('describes GET /profile-fields and `data` as an object whose keys the configuration decides', async () => {
    const { body } = await request(t.http).get('/docs-json').expect(200);
    const list = body.paths['/profile-fields'].get.responses['200'].content['application/json'];
    expect(list.schema).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/ProfileFieldView' },
    });
    const field = body.components.schemas.ProfileFieldView;
    expect(Object.keys(field.properties).sort()).toEqual(
      ['key', 'label', 'max', 'maxLength', 'min', 'options', 'required', 'type'].sort(),
    );
    expect(field.properties.type.enum).toEqual([
      'text',
      'integer',
      'number',
      'boolean',
      'date',
      'email',
      'url',
      'select',
    ]);
    for (const schema of ['RegisterDto', 'UpdateProfileDto', 'UserView']) {
      const data = body.components.schemas[schema].properties.data;
      expect({ schema, type: data.type, values: data.additionalProperties }).toEqual({
        schema,
        type: 'object',
        values: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
      });
    }
    expect(body.components.schemas.UserView.required).toContain('data');
  });
});
