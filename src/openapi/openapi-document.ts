import { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  type OpenAPIObject,
  type OperationObject,
  type ReferenceObject,
  type ResponseObject,
  type SchemaObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PASSWORD_POLICY_MARK } from '../sign-in/methods/password/new-password';
import { SessionCookie } from '../sign-in/sessions/session-cookie';
import { ErrorCode, ErrorCodes } from '../platform/http/app-error';
import { codesOfErrorSchema, ErrorBody, errorResponseSchema } from '../platform/http/error-body';
import { ProfileFields } from '../users/profile-fields/profile-fields.service';
import { PasswordPolicy } from '../sign-in/methods/password/password-policy.service';
import { PROFILE_DATA_MARK, type ProfileDataMode } from '../users/user-fields';
import { profileDataSchema } from './profile-data-schema';
import { Access, RouteAccess } from './route-access';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type Method = (typeof METHODS)[number];

const STATE_CHANGING = new Set<Method>(['post', 'put', 'patch', 'delete']);

/** The security requirements of each kind of access (alternatives: any one of them will do). */
const SECURITY: Record<Access, Record<string, string[]>[]> = {
  public: [],
  'optional-session': [{}, { cookie: [] }],
  session: [{ cookie: [] }],
  admin: [{ cookie: [] }, { bearer: [] }],
};

/** Statuses whose responses say when to try again. */
const RETRY_AFTER = new Set([429, 503]);

/**
 * The OpenAPI document at /docs-json, as the routes' decorators describe them, completed with what
 * holds for every route of a kind and what the configuration decides:
 *  - each operation's security, from the metadata the guards read (RouteAccess);
 *  - the errors the middleware and global guards can give (a malformed cookie or body, a
 *    cross-site request, no session, not an admin), merged with those the route declares
 *    (ApiErrors), as ErrorBody responses listing their codes;
 *  - request bodies closed to unknown fields (the validation pipe refuses them), and optional
 *    when every field is (a missing body is read as {});
 *  - PASSWORD_MIN_LENGTH in new passwords, and `data` as PROFILE_FIELDS defines it.
 */
export function createOpenApiDocument(app: INestApplication, root: string): OpenAPIObject {
  const access = new RouteAccess(app);
  const document = SwaggerModule.createDocument(app, documentBuilder(app, root), {
    operationIdFactory: access.operationId,
    extraModels: [ErrorBody],
  });
  const schemas = document.components?.schemas ?? {};
  applyConfiguredRules(
    schemas,
    app.get(PasswordPolicy).minLength,
    app.get(ProfileFields).definitions,
  );
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const kind = access.of(operation.operationId);
      operation.security = SECURITY[kind];
      describeErrors(operation, routeKindErrors(method, kind));
      closeRequestBody(operation, schemas);
    }
  }
  return document;
}

function documentBuilder(app: INestApplication, root: string) {
  return new DocumentBuilder()
    .setTitle('Account service')
    .setDescription(
      'Accounts, sign-in, sessions and settings. Every error has the body `{ error: { code, message, field? } }`; each response lists the codes it can carry. A method a path does not list is answered 405 `METHOD_NOT_ALLOWED` with `Allow`.',
    )
    .setVersion(packageVersion(root))
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addCookieAuth(
      app.get(SessionCookie).name,
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          'The session cookie that sign-in and registration set: SESSION_COOKIE_NAME, with the prefix `__Host-` when PUBLIC_URL is https (this document names this instance’s).',
      },
      'cookie',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'ak_<id>_<secret>',
        description: 'An API key (POST /admin/api-keys); the admin API only.',
      },
      'bearer',
    )
    .build();
}

/** The version in package.json, which the document carries. */
function packageVersion(root: string): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  return version;
}

/** What the middleware and the global guards can answer, whatever the route. */
function routeKindErrors(method: Method, access: Access): ErrorCode[] {
  // A malformed cookie (cookies.ts) on any request; the database unreachable (the exception filter).
  const codes: ErrorCode[] = ['VALIDATION_FAILED', 'SERVICE_UNAVAILABLE'];
  if (STATE_CHANGING.has(method)) {
    codes.push('MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
    codes.push('CROSS_SITE_REQUEST');
  }
  if (access === 'session' || access === 'admin') codes.push('UNAUTHENTICATED');
  if (access === 'admin') codes.push('ADMIN_REQUIRED', 'INSUFFICIENT_SCOPE', 'TOO_MANY_REQUESTS');
  return codes;
}

/** Adds `codes` to the operation's error responses, and describes each of them. */
function describeErrors(operation: OperationObject, codes: ErrorCode[]): void {
  const responses = operation.responses as Record<string, ResponseObject>;
  const byStatus = new Map<number, ErrorCode[]>();
  const ownBodies = new Set<number>();
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 400) continue;
    const content = response.content?.['application/json'];
    const declared = codesOfErrorSchema(content?.schema);
    // A body of its own (the health checks' 503) stays, alone; any other error is an ErrorBody.
    if (declared) byStatus.set(Number(status), declared);
    else if (content?.schema) ownBodies.add(Number(status));
    else throw new Error(`${operation.operationId}: declare ${status} with ApiErrors`);
  }
  for (const code of codes) {
    const status = ErrorCodes[code];
    if (ownBodies.has(status)) continue;
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  for (const [status, ofStatus] of byStatus) {
    responses[String(status)] = {
      description: ofStatus.map((code) => `\`${code}\``).join(', '),
      content: { 'application/json': { schema: errorResponseSchema(ofStatus) } },
      ...(RETRY_AFTER.has(status)
        ? {
            headers: {
              'Retry-After': {
                description: 'Seconds to wait before trying again.',
                schema: { type: 'integer', minimum: 0 },
              },
            },
          }
        : {}),
    };
  }
}

/**
 * Unknown fields are refused (the validation pipe's forbidNonWhitelisted), and a missing body is
 * read as {}: it may be left out when no field is required.
 */
function closeRequestBody(operation: OperationObject, schemas: Record<string, unknown>): void {
  const body = operation.requestBody;
  if (!body || '$ref' in body) return;
  const reference = body.content['application/json']?.schema as ReferenceObject | undefined;
  const name = reference?.$ref?.split('/').pop();
  const schema = name === undefined ? undefined : (schemas[name] as SchemaObject | undefined);
  if (!schema) return;
  schema.additionalProperties = false;
  body.required = (schema.required?.length ?? 0) > 0;
}

/** Fills in the constraints that come from the configuration, where the DTOs marked them. */
function applyConfiguredRules(
  schemas: Record<string, unknown>,
  passwordMinLength: number,
  profileFields: ProfileFields['definitions'],
): void {
  for (const schema of Object.values(schemas) as SchemaObject[]) {
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const marked = property as Record<string, unknown>;
      if (marked[PASSWORD_POLICY_MARK]) {
        delete marked[PASSWORD_POLICY_MARK];
        marked.minLength = passwordMinLength;
      }
      const mode = marked[PROFILE_DATA_MARK] as ProfileDataMode | undefined;
      if (mode) {
        const data = profileDataSchema(profileFields, mode);
        schema.properties![name] = { ...data, description: marked.description as string };
        // A required field makes `data` itself required at registration.
        if (data.required && !schema.required?.includes(name)) {
          schema.required = [...(schema.required ?? []), name];
        }
      }
    }
  }
}
