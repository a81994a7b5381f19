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
