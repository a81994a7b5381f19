import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ErrorCodes } from '../../src/platform/http/app-error';
import { createTestApp, TestApp } from '../support/test-app';

/** A part of the document, as JSON.parse gives it. */
type Schema = ReturnType<typeof JSON.parse>;
interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }>; headers?: Schema }>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const STATE_CHANGING = ['put', 'post', 'delete', 'patch'];

/** Every operation of the document, as `METHOD /path`. */
function operationsOf(document: Schema): [string, string, Operation][] {
  return Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(
    ([path, item]) =>
      METHODS.filter((method) => item[method]).map(
        (method) =>
          [`${method.toUpperCase()} ${path}`, method, item[method]] as [string, string, Operation],
      ),
  );
}

/** The codes an error response lists (the allOf's narrowing of ErrorBody), by status. */
function errorCodes(operation: Operation): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(operation.responses)
      .filter(([status]) => Number(status) >= 400)
      .map(([status, response]) => {
        const schema = response.content?.['application/json']?.schema;
        return [status, schema?.allOf?.[1]?.properties?.error?.properties?.code?.enum];
      }),
  );
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let document: Schema;

  beforeAll(async () => {
    t = await createTestApp();
    document = (await request(t.http).get('/docs-json').expect(200)).body;
  });
  afterAll(() => t.close());

  it('carries the version and licence of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };
    expect(document.info.version).toBe(pkg.version);
    expect(document.info.license.name).toBe(pkg.license);
  });

  it('describes the session routes and a session item, with nothing of its token', () => {
    expect(Object.keys(document.paths['/me/sessions'])).toEqual(['get', 'delete']);
    expect(document.paths['/me/sessions/{id}'].delete.responses).toHaveProperty('404');
    const item = document.components.schemas.SessionView;
    expect(Object.keys(item.properties).sort()).toEqual(
      [
        'createdAt',
        'current',
        'id',
        'ip',
        'lastSeenAt',
        'signedInWith',
        'secondFactor',
        'userAgent',
      ].sort(),
    );
    expect(item.required).toEqual(expect.arrayContaining(Object.keys(item.properties)));
  });

  it('lists no profile fields when PROFILE_FIELDS is unset', async () => {
    const response = await request(t.http).get('/profile-fields').expect(200);
    expect(response.body).toEqual([]);
  });

  it("describes GET /profile-fields, an account's `data` as any saved values, and a request's as none without PROFILE_FIELDS", () => {
    const list = document.paths['/profile-fields'].get.responses['200'].content['application/json'];
    expect(list.schema).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/ProfileFieldView' },
    });
    const field = document.components.schemas.ProfileFieldView;
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
    // Values of fields since removed from PROFILE_FIELDS are still shown.
    const shown = document.components.schemas.UserView.properties.data;
    expect(shown).toMatchObject({
      type: 'object',
      additionalProperties: {
        oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
      },
    });
    expect(document.components.schemas.UserView.required).toContain('data');
    for (const schema of ['RegisterDto', 'UpdateProfileDto', 'UpdateUserDto']) {
      const data = document.components.schemas[schema].properties.data;
      expect({ schema, data }).toMatchObject({
        schema,
        data: { type: 'object', properties: {}, additionalProperties: false },
      });
    }
  });

  it('gives every operation a summary, its security, and its errors as ErrorBody responses', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(35);
    for (const [name, method, operation] of operations) {
      const security = operation.security;
      const codes = errorCodes(operation);
      expect({ name, summary: typeof (operation as Schema).summary }).toEqual({
        name,
        summary: 'string',
      });
      expect({ name, security: Array.isArray(security) }).toEqual({ name, security: true });
      // A malformed cookie, on any request.
      expect({ name, codes: codes['400'] }).toEqual({
        name,
        codes: expect.arrayContaining(['VALIDATION_FAILED']),
      });
      // The database unreachable; the health checks answer that in their own body.
      if (!name.startsWith('GET /health')) {
        expect({ name, codes: codes['503'] }).toEqual({
          name,
          codes: expect.arrayContaining(['SERVICE_UNAVAILABLE']),
        });
      }
      if (STATE_CHANGING.includes(method)) {
        expect({ name, codes }).toEqual({
          name,
          codes: expect.objectContaining({
            '400': expect.arrayContaining(['MALFORMED_JSON']),
            '403': expect.arrayContaining(['CROSS_SITE_REQUEST']),
            '413': ['PAYLOAD_TOO_LARGE'],
            '415': ['UNSUPPORTED_MEDIA_TYPE'],
          }),
        });
      }
      const needsSession =
        security!.length > 0 && !security!.some((r) => Object.keys(r).length === 0);
      if (needsSession) {
        expect({ name, codes: codes['401'] }).toEqual({
          name,
          codes: expect.arrayContaining(['UNAUTHENTICATED']),
        });
      }
      for (const [status, listed] of Object.entries(codes)) {
        // The health checks' 503 is @nestjs/terminus's own body.
        if (name.startsWith('GET /health') && status === '503') continue;
        expect({ name, status, listed: Array.isArray(listed) }).toEqual({
          name,
          status,
          listed: true,
        });
        for (const code of listed) {
          expect({ name, code, status: ErrorCodes[code as keyof typeof ErrorCodes] }).toEqual({
            name,
            code,
            status: Number(status),
          });
        }
      }
    }
  });

  it('declares the session cookie on account routes, and the cookie or an API key on the admin API', () => {
    const security = (path: string, method: string) =>
      document.paths[path][method].security as Record<string, string[]>[];
    expect(security('/me', 'get')).toEqual([{ cookie: [] }]);
    expect(security('/admin/users', 'get')).toEqual([{ cookie: [] }, { bearer: [] }]);
    expect(security('/admin/api-keys', 'post')).toEqual([{ cookie: [] }, { bearer: [] }]);
    expect(security('/auth/register', 'post')).toEqual([]);
    // Public, but a session changes what it does.
    expect(security('/auth/logout', 'post')).toEqual([{}, { cookie: [] }]);
    expect(document.components.securitySchemes).toEqual({
      cookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'sid' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const admin = errorCodes(document.paths['/admin/users'].get);
    expect(admin['403']).toEqual(['ADMIN_REQUIRED', 'INSUFFICIENT_SCOPE']);
    for (const [path, method, status] of [
      ['/auth/register', 'post', '201'],
      ['/auth/login', 'post', '200'],
      ['/auth/logout', 'post', '204'],
      ['/me/password', 'put', '204'],
    ]) {
      expect(document.paths[path][method].responses[status].headers).toHaveProperty('Set-Cookie');
    }
  });

  it("lists each route's own error codes beside those every route of its kind can give", () => {
    expect(errorCodes(document.paths['/auth/login'].post)).toEqual({
      '400': ['VALIDATION_FAILED', 'MALFORMED_JSON'],
      '401': ['INVALID_CREDENTIALS', 'SECOND_FACTOR_REQUIRED'],
      '403': ['ACCOUNT_DISABLED', 'CROSS_SITE_REQUEST'],
      '413': ['PAYLOAD_TOO_LARGE'],
      '415': ['UNSUPPORTED_MEDIA_TYPE'],
      '429': ['TOO_MANY_REQUESTS', 'SIGN_IN_LOCKED'],
      '503': ['BUSY', 'SERVICE_UNAVAILABLE'],
    });
    expect(errorCodes(document.paths['/me/password'].put)['401'].sort()).toEqual(
      ['RECENT_SIGN_IN_REQUIRED', 'UNAUTHENTICATED', 'WRONG_PASSWORD'].sort(),
    );
    const retry = document.paths['/auth/login'].post.responses['429'].headers;
    expect(retry).toHaveProperty('Retry-After');
  });

  it('closes request bodies to unknown fields, and makes them optional when every field is', () => {
    const body = (path: string, method: string) =>
      document.paths[path][method].requestBody as Operation['requestBody'];
    for (const [name, , operation] of operationsOf(document)) {
      const reference = operation.requestBody?.content['application/json'].schema.$ref;
      if (!reference) continue;
      const schema = document.components.schemas[(reference as string).split('/').pop()!];
      expect({ name, additionalProperties: schema.additionalProperties }).toEqual({
        name,
        additionalProperties: false,
      });
    }
    expect(body('/auth/register', 'post')!.required).toBe(true);
    expect(body('/me', 'delete')!.required).toBe(false);
    expect(body('/me', 'patch')!.required).toBe(false);
  });

  it('states the constraints the validation applies', () => {
    const { RegisterDto, LoginDto, CreateApiKeyDto } = document.components.schemas;
    expect(RegisterDto.properties.email).toMatchObject({ format: 'email', maxLength: 254 });
    expect(RegisterDto.properties.password).toMatchObject({
      minLength: 15,
      maxLength: 128,
      not: { pattern: expect.any(String) },
    });
    expect(RegisterDto.properties.username.pattern).toContain('[A-Za-z0-9_-]{3,40}');
    expect(LoginDto.properties.login).toMatchObject({ minLength: 1, maxLength: 254 });
    expect(LoginDto.properties.password).toMatchObject({ minLength: 1, maxLength: 1024 });
    expect(CreateApiKeyDto.properties.scopes).toMatchObject({ minItems: 1, maxItems: 6 });
    const limit = (document.paths['/me/events'].get.parameters as Schema[]).find(
      (parameter: Schema) => parameter.name === 'limit',
    );
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
  });
});

describe('the OpenAPI document of a configured service', () => {
  let t: TestApp;
  let schemas: Record<string, Schema>;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        PASSWORD_MIN_LENGTH: '20',
        PROFILE_FIELDS: JSON.stringify([
          { key: 'company', label: 'Company', type: 'text', maxLength: 40 },
          { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'], required: true },
          { key: 'age', label: 'Age', type: 'integer', min: 18 },
        ]),
      },
    });
    schemas = (await request(t.http).get('/docs-json').expect(200)).body.components.schemas;
  });
  afterAll(() => t.close());

  it('gives new passwords PASSWORD_MIN_LENGTH, and passwords being checked any length', () => {
    expect(schemas.RegisterDto.properties.password.minLength).toBe(20);
    expect(schemas.ChangePasswordDto.properties.newPassword.minLength).toBe(20);
    expect(schemas.ResetPasswordDto.properties.newPassword.minLength).toBe(20);
    expect(schemas.ChangePasswordDto.properties.currentPassword.minLength).toBe(1);
    expect(JSON.stringify(schemas)).not.toContain('x-password-policy');
  });

  it('describes `data` by PROFILE_FIELDS: required ones at registration, null removing an optional value', () => {
    const registered = schemas.RegisterDto.properties.data;
    expect(registered).toMatchObject({
      type: 'object',
      required: ['plan'],
      additionalProperties: false,
      properties: {
        company: { type: 'string', nullable: true },
        plan: { type: 'string', enum: ['free', 'pro'] },
        age: { type: 'integer', minimum: 18, maximum: Number.MAX_SAFE_INTEGER, nullable: true },
      },
    });
    expect(registered.properties.plan).not.toHaveProperty('nullable');
    expect(schemas.RegisterDto.required).toEqual(expect.arrayContaining(['data']));
    const updated = schemas.UpdateProfileDto.properties.data;
    expect(updated).not.toHaveProperty('required');
    expect(updated.properties.company.nullable).toBe(true);
    expect(schemas.UpdateProfileDto.required ?? []).not.toContain('data');
  });
});
