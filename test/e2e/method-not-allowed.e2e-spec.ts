import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';

describe('methods a path does not take', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers 405 METHOD_NOT_ALLOWED with Allow, before asking for a session', async () => {
    const response = await request(t.http).trace('/me').expect(405);
    expect(response.headers.allow).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
    expect(response.body).toEqual({
      error: {
        code: 'METHOD_NOT_ALLOWED',
        message: 'TRACE is not allowed here; this path takes GET, HEAD, PATCH, DELETE, OPTIONS.',
      },
    });
    await request(t.http).put('/me').send({}).expect(405);
  });

  it('lists the methods of every route on a path, also of routes with parameters', async () => {
    const password = await request(t.http).post('/me/password').expect(405);
    expect(password.headers.allow).toBe('PUT, DELETE, OPTIONS');
    const session = await request(t.http).get('/me/sessions/some-id').expect(405);
    expect(session.headers.allow).toBe('DELETE, OPTIONS');
    const user = await request(t.http).put('/admin/users/665f1c2e9b1e8a0012345678').expect(405);
    expect(user.headers.allow).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
  });

  it('gives a fixed path only its own methods, as the OpenAPI document does', async () => {
    // Not GET /auth/{provider} for a provider called "login".
    const response = await request(t.http).get('/auth/login').expect(405);
    expect(response.headers.allow).toBe('POST, OPTIONS');
    await request(t.http).get('/auth/unknown-provider').expect(302);
  });

  it('answers OPTIONS with 204 and Allow, and HEAD wherever GET is answered', async () => {
    const options = await request(t.http).options('/me/sessions').expect(204);
    expect(options.headers.allow).toBe('GET, HEAD, DELETE, OPTIONS');
    await request(t.http).head('/health/live').expect(200);
    await request(t.http).head('/me').expect(401);
    await request(t.http).head('/auth/register').expect(405);
  });

  it('still answers 404 for paths no route has, and for the pages as before', async () => {
    const response = await request(t.http).trace('/no-such-path').expect(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
    await request(t.http).get('/login').expect(200);
    const login = await request(t.http).delete('/login').expect(405);
    expect(login.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
  });
});

describe("methods the OpenID Connect provider's endpoints do not take", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        OIDC_CLIENTS: JSON.stringify([
          {
            client_id: 'notes',
            client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
            redirect_uris: ['http://notes.example.test/callback'],
          },
        ]),
      },
    });
  });
  afterAll(() => t.close());

  /** Each endpoint and what oidc-provider takes there (with HEAD wherever GET, and OPTIONS). */
  const ENDPOINTS: [path: string, allow: string][] = [
    ['/oauth2/authorize', 'GET, HEAD, POST, OPTIONS'],
    ['/oauth2/authorize/a-sign-in-uid', 'GET, HEAD, OPTIONS'],
    ['/oauth2/token', 'POST, OPTIONS'],
    ['/oauth2/userinfo', 'GET, HEAD, POST, OPTIONS'],
    ['/oauth2/introspect', 'POST, OPTIONS'],
    ['/oauth2/revoke', 'POST, OPTIONS'],
    ['/oauth2/par', 'POST, OPTIONS'],
    ['/.well-known/jwks.json', 'GET, HEAD, OPTIONS'],
    ['/.well-known/openid-configuration', 'GET, HEAD, OPTIONS'],
  ];
  const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  const send = (method: string, path: string) =>
    request(t.http)[method.toLowerCase() as 'get'](path);

  it.each(ENDPOINTS)(
    "%s: any other method is 405 with Allow, in OAuth's error format",
    async (path, allow) => {
      const refused = METHODS.filter((method) => !allow.split(', ').includes(method));
      expect(refused.length).toBeGreaterThan(0);
      for (const method of refused) {
        const response = await send(method, path);
        expect({ method, status: response.status, allow: response.headers.allow }).toEqual({
          method,
          status: 405,
          allow,
        });
        if (method === 'HEAD') continue;
        expect(response.headers['content-type']).toMatch(/^application\/json/);
        expect(response.body).toEqual({
          error: 'invalid_request',
          error_description: `${method} is not allowed here; this endpoint takes ${allow}.`,
        });
      }
    },
  );

  it.each(ENDPOINTS)('%s: the methods it takes still reach the provider', async (path, allow) => {
    const answers = [];
    for (const method of METHODS.filter((method) => allow.split(', ').includes(method))) {
      answers.push({ method, status: (await send(method, path)).status });
    }
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter(({ status }) => [404, 405].includes(status) || status >= 500)).toEqual(
      [],
    );
  });

  it('answers what each right method asks, as before', async () => {
    await request(t.http).get('/.well-known/openid-configuration').expect(200);
    const head = await request(t.http).head('/.well-known/jwks.json').expect(200);
    expect(head.headers['content-type']).toMatch(/^application\/(jwk-set\+)?json/);
    const token = await request(t.http)
      .post('/oauth2/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code: 'no-such-code' })
      .expect(400);
    expect(token.body.error).toBe('invalid_request');
    const userinfo = await request(t.http).post('/oauth2/userinfo').expect(401);
    expect(userinfo.body.error).toBe('invalid_token');
  });

  it.each(ENDPOINTS)('%s: OPTIONS is 204 with Allow', async (path, allow) => {
    const response = await request(t.http).options(path).expect(204);
    expect(response.headers.allow).toBe(allow);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("leaves the provider's CORS preflights to it, with Allow, and gives none at the authorization endpoint", async () => {
    const origin = 'http://notes.example.test';
    const preflights: [path: string, method: string, allows: string][] = [
      ['/oauth2/token', 'POST', 'POST'],
      ['/oauth2/userinfo', 'GET', 'GET,POST'],
      ['/oauth2/revoke', 'POST', 'POST'],
      ['/.well-known/jwks.json', 'GET', 'GET'],
      ['/.well-known/openid-configuration', 'GET', 'GET'],
    ];
    for (const [path, method, allows] of preflights) {
      const response = await request(t.http)
        .options(path)
        .set('Origin', origin)
        .set('Access-Control-Request-Method', method)
        .expect(204);
      expect(response.headers['access-control-allow-origin']).toBe(origin);
      expect(response.headers['access-control-allow-methods']).toBe(allows);
      expect(response.headers.allow).toBe(ENDPOINTS.find(([p]) => p === path)![1]);
    }
    // Browsers navigate there; they never call it from scripts.
    const authorization = await request(t.http)
      .options('/oauth2/authorize')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'GET')
      .expect(204);
    expect(authorization.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
    expect(authorization.headers['access-control-allow-origin']).toBeUndefined();
  });
});
