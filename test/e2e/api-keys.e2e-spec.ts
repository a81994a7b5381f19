import { createHash } from 'node:crypto';
import request from 'supertest';
import { ApiKeysService } from '../../src/admin/api-keys/api-keys.service';
import { register } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

describe('API keys', () => {
  let t: TestApp;
  /** A key with the `admin` scope, made as the CLI makes them. */
  let root: { id: string; key: string };

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
    root = await t.app.get(ApiKeysService).create({ name: 'root', scopes: ['admin'] });
  });
  afterAll(() => t.close());

  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const keys = () => t.db.collection<{ _id: string } & Record<string, unknown>>('api_keys');
  const events = (type: string) =>
    t.db.collection('events').find({ type }).sort({ _id: 1 }).toArray();

  async function createKey(name: string, scopes: string[], as = root.key) {
    const response = await request(t.http)
      .post('/admin/api-keys')
      .set(bearer(as))
      .send({ name, scopes })
      .expect(201);
    return response.body as { id: string; name: string; scopes: string[]; key: string };
  }

  it('creates a key shown once, and stores only the hash of its secret', async () => {
    const response = await request(t.http)
      .post('/admin/api-keys')
      .set(bearer(root.key))
      .send({ name: '  billing backend ', scopes: ['users:write', 'users:read', 'users:read'] })
      .expect(201);
    const created = response.body as Record<string, string>;
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'id', 'key', 'name', 'scopes']);
    expect(created).toMatchObject({
      name: 'billing backend',
      scopes: ['users:read', 'users:write'],
    });
    expect(created.key).toMatch(new RegExp(`^ak_${created.id}_[A-Za-z0-9_-]{43}$`));

    const stored = await keys().findOne({ _id: created.id });
    const secret = created.key.slice(`ak_${created.id}_`.length);
    expect(stored).toMatchObject({
      name: 'billing backend',
      scopes: ['users:read', 'users:write'],
      secretHash: createHash('sha256').update(secret).digest('base64url'),
      createdBy: { kind: 'api_key', id: root.id },
    });
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored).not.toHaveProperty('lastUsedAt');
    expect(stored).not.toHaveProperty('revokedAt');

    const [event] = (await events('api_key.created')).filter(
      ({ details }) => details.apiKeyId === created.id,
    );
    expect(event).toMatchObject({
      actor: { kind: 'api_key', id: root.id },
      details: { name: 'billing backend', scopes: ['users:read', 'users:write'] },
    });
    expect(JSON.stringify(event)).not.toContain(secret);
  });

  it('counts a name in characters as the description does: 100 emoji are a valid name', async () => {
    const name = '🔑'.repeat(100);
    expect((await createKey(name, ['users:read'])).name).toBe(name);
    await request(t.http)
      .post('/admin/api-keys')
      .set(bearer(root.key))
      .send({ name: `${name}🔑`, scopes: ['users:read'] })
      .expect(400);
  });

  it('lists the keys newest first, without secrets or their hashes', async () => {
    const created = await createKey('list me', ['users:read']);
    const { body } = await request(t.http).get('/admin/api-keys').set(bearer(root.key)).expect(200);
    expect(Object.keys(body)).toEqual(['apiKeys']);
    const listed = body.apiKeys as Record<string, unknown>[];
    expect(listed[0]).toEqual({
      id: created.id,
      name: 'list me',
      scopes: ['users:read'],
      createdAt: expect.any(String),
      createdBy: { kind: 'api_key', id: root.id },
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(listed.map(({ id }) => id)).toContain(root.id);
    const text = JSON.stringify(body);
    expect(text).not.toContain(created.key.slice(-43));
    expect(text).not.toContain('secretHash');
    expect(text).not.toContain('ak_');
  });

  it('revokes a key: it is refused from then on, revoking it again changes nothing', async () => {
    const created = await createKey('short-lived', ['admin']);
    await request(t.http).get('/admin/api-keys').set(bearer(created.key)).expect(200);

    await request(t.http).delete(`/admin/api-keys/${created.id}`).set(bearer(root.key)).expect(204);
    const refused = await request(t.http)
      .get('/admin/api-keys')
      .set(bearer(created.key))
      .expect(401);
    expect(refused.body.error).toEqual({
      code: 'UNAUTHENTICATED',
      message: 'This API key is not valid: it is malformed, unknown or revoked.',
    });
    const stored = await keys().findOne({ _id: created.id });
    expect(stored?.revokedAt).toBeInstanceOf(Date);

    await request(t.http).delete(`/admin/api-keys/${created.id}`).set(bearer(root.key)).expect(204);
    const revocations = (await events('api_key.revoked')).filter(
      ({ details }) => details.apiKeyId === created.id,
    );
    expect(revocations).toHaveLength(1);
    expect(revocations[0].actor).toEqual({ kind: 'api_key', id: root.id });

    const listed = await request(t.http).get('/admin/api-keys').set(bearer(root.key)).expect(200);
    const entry = (listed.body.apiKeys as { id: string; revokedAt: string | null }[]).find(
      ({ id }) => id === created.id,
    );
    expect(entry?.revokedAt).toEqual(expect.any(String));
  });

  it('answers 404 API_KEY_NOT_FOUND for an unknown key id', async () => {
    const response = await request(t.http)
      .delete('/admin/api-keys/0123456789abcdef')
      .set(bearer(root.key))
      .expect(404);
    expect(response.body.error).toMatchObject({ code: 'API_KEY_NOT_FOUND', field: 'id' });
  });

  it('refuses malformed, unknown and wrong keys with 401 UNAUTHENTICATED', async () => {
    const good = await createKey('real', ['admin']);
    const otherSecret = (await createKey('other', ['admin'])).key.slice(-43);
    for (const key of [
      '',
      'nonsense',
      `${good.key}x`,
      `ak_0123456789abcdef_${good.key.slice(-43)}`,
      `ak_${good.id}_${otherSecret}`,
    ]) {
      const response = await request(t.http)
        .get('/admin/api-keys')
        .set('Authorization', `Bearer ${key}`)
        .expect(401);
      expect(response.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses, with 403 INSUFFICIENT_SCOPE, a key without the scope the route needs', async () => {
    const reader = await createKey('reader', ['users:read', 'users:write']);
    const response = await request(t.http)
      .post('/admin/api-keys')
      .set(bearer(reader.key))
      .send({ name: 'escalate', scopes: ['admin'] })
      .expect(403);
    expect(response.body.error).toEqual({
      code: 'INSUFFICIENT_SCOPE',
      message: 'This API key lacks the "admin" scope.',
    });
    await request(t.http).get('/admin/api-keys').set(bearer(reader.key)).expect(403);
    expect(await keys().countDocuments({ name: 'escalate' })).toBe(0);
  });

  it('lets a users:write key change accounts but not roles nor admin accounts (403 INSUFFICIENT_SCOPE, nothing written); an admin key may', async () => {
    const writer = await createKey('billing', ['users:write']);
    const { user } = await register(t.http);
    const admin = await register(t.http);
    const users = t.db.collection('users');
    await users.updateOne({ username: admin.user.username }, { $set: { role: 'admin' } });
    const as = (key: string) => ({
      patch: (id: string, body: object) =>
        request(t.http).patch(`/admin/users/${id}`).set(bearer(key)).send(body),
      post: (path: string) => request(t.http).post(path).set(bearer(key)),
      delete: (path: string) => request(t.http).delete(path).set(bearer(key)),
    });

    // A plain account: changed as asked, but never made an admin.
    await as(writer.key).patch(user.id, { name: 'Billing Renamed' }).expect(200);
    const promote = await as(writer.key).patch(user.id, { role: 'admin', name: 'X' }).expect(403);
    expect(promote.body.error).toEqual({
      code: 'INSUFFICIENT_SCOPE',
      message: 'Changing a role needs an API key with the "admin" scope.',
      field: 'role',
    });

    // An admin account: untouchable with users:write, or its email could be moved and reset.
    const adminBefore = await users.findOne({ username: admin.user.username });
    const attempts = [
      as(writer.key).patch(admin.user.id, { email: 'thief@evil.test' }),
      as(writer.key).patch(admin.user.id, { disabled: true }),
      as(writer.key).post(`/admin/users/${admin.user.id}/password-reset`),
      as(writer.key).post(`/admin/users/${admin.user.id}/sessions/revoke`),
      as(writer.key).delete(`/admin/users/${admin.user.id}/identities/google`),
      as(writer.key).delete(`/admin/users/${admin.user.id}`),
    ];
    for (const attempt of attempts) {
      const response = await attempt;
      expect([response.status, response.body.error?.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    }
    expect(await users.findOne({ username: admin.user.username })).toEqual(adminBefore);
    expect(await users.findOne({ username: user.username })).toMatchObject({
      role: 'user',
      name: 'Billing Renamed',
    });
    expect(
      await t.db.collection('sessions').countDocuments({ userId: adminBefore!._id }),
    ).toBeGreaterThan(0);

    // A key with the admin scope may do both.
    await as(root.key).patch(user.id, { role: 'admin' }).expect(200);
    await as(root.key).patch(admin.user.id, { name: 'Still An Admin' }).expect(200);
  });

  it('accepts keys on the admin API only: elsewhere a Bearer header is refused, cookie or not', async () => {
    const { cookie } = await register(t.http);
    const response = await request(t.http)
      .get('/me')
      .set(bearer(root.key))
      .set('Cookie', cookie)
      .expect(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
    expect(response.body.error.message).toContain('admin API');
    await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    // Public routes do not look at it (GET /metrics has its own Bearer token).
    await request(t.http).get('/profile-fields').set(bearer(root.key)).expect(200);
  });

  it('lets an admin session manage keys, and refuses other people and the signed-out', async () => {
    const person = await register(t.http);
    await request(t.http).get('/admin/api-keys').expect(401);
    const refused = await request(t.http)
      .post('/admin/api-keys')
      .set('Cookie', person.cookie)
      .send({ name: 'mine', scopes: ['admin'] })
      .expect(403);
    expect(refused.body.error).toEqual({
      code: 'ADMIN_REQUIRED',
      message: 'Only admins may do this.',
    });

    const admin = await register(t.http);
    await t.db
      .collection('users')
      .updateOne({ username: admin.user.username }, { $set: { role: 'admin' } });
    const created = await request(t.http)
      .post('/admin/api-keys')
      .set('Cookie', admin.cookie)
      .send({ name: 'made by a person', scopes: ['users:read'] })
      .expect(201);
    expect(await keys().findOne({ _id: created.body.id })).toMatchObject({
      createdBy: { kind: 'user', id: admin.user.id },
    });
    await request(t.http)
      .delete(`/admin/api-keys/${created.body.id}`)
      .set('Cookie', admin.cookie)
      .expect(204);
    const [event] = (await events('api_key.revoked')).filter(
      ({ details }) => details.apiKeyId === created.body.id,
    );
    expect(event.actor).toEqual({ kind: 'user', id: admin.user.id });
  });

  it.each([
    ['no name', { scopes: ['admin'] }, 'name'],
    ['an empty name', { name: '   ', scopes: ['admin'] }, 'name'],
    ['no scopes', { name: 'x' }, 'scopes'],
    ['an empty list of scopes', { name: 'x', scopes: [] }, 'scopes'],
    ['an unknown scope', { name: 'x', scopes: ['users:read', 'root'] }, 'scopes'],
    ['scopes that are not a list', { name: 'x', scopes: 'admin' }, 'scopes'],
    ['an unknown field', { name: 'x', scopes: ['admin'], key: 'mine' }, 'key'],
  ])(
    'refuses a key with %s (400, naming the field), and writes nothing',
    async (_, body, field) => {
      const before = await keys().countDocuments();
      const response = await request(t.http)
        .post('/admin/api-keys')
        .set(bearer(root.key))
        .send(body)
        .expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(await keys().countDocuments()).toBe(before);
    },
  );

  it('records when a key was last used, at most once a minute', async () => {
    const created = await createKey('used', ['admin']);
    await request(t.http).get('/admin/api-keys').set(bearer(created.key)).expect(200);
    const first = (await keys().findOne({ _id: created.id }))?.lastUsedAt as Date;
    expect(Date.now() - first.getTime()).toBeLessThan(60_000);

    await request(t.http).get('/admin/api-keys').set(bearer(created.key)).expect(200);
    expect((await keys().findOne({ _id: created.id }))?.lastUsedAt).toEqual(first);

    const longAgo = new Date(Date.now() - 5 * 60_000);
    await keys().updateOne({ _id: created.id }, { $set: { lastUsedAt: longAgo } });
    await request(t.http).get('/admin/api-keys').set(bearer(created.key)).expect(200);
    const later = (await keys().findOne({ _id: created.id }))?.lastUsedAt as Date;
    expect(later.getTime()).toBeGreaterThan(longAgo.getTime() + 4 * 60_000);
  });

  it('takes Bearer requests without an Origin, and refuses them from another site', async () => {
    await createKey('no origin', ['users:read']);
    const response = await request(t.http)
      .post('/admin/api-keys')
      .set(bearer(root.key))
      .set('Origin', 'https://evil.test')
      .send({ name: 'from a page', scopes: ['admin'] })
      .expect(403);
    expect(response.body.error.code).toBe('CROSS_SITE_REQUEST');
  });

  it('never logs a key, and logs which key made a request', async () => {
    const created = await createKey('logged', ['admin']);
    await request(t.http)
      .get('/admin/api-keys')
      .set(bearer(created.key))
      .set('X-Request-Id', 'with-a-key')
      .expect(200);
    const logs = t.logs();
    expect(logs).toContain('with-a-key');
    expect(logs).toContain(`"apiKeyId":"${created.id}"`);
    expect(logs).not.toContain(created.key.slice(-43));
    expect(logs).not.toContain(root.key.slice(-43));
  });

  it('is described in the OpenAPI document, with the Bearer scheme', async () => {
    const { body } = await request(t.http).get('/docs-json').expect(200);
    expect(Object.keys(body.paths['/admin/api-keys']).sort()).toEqual(['get', 'post']);
    expect(body.paths['/admin/api-keys'].post.responses).toHaveProperty('201');
    expect(body.paths['/admin/api-keys'].post.responses).toHaveProperty('403');
    expect(body.paths['/admin/api-keys/{id}'].delete.responses).toHaveProperty('204');
    expect(body.paths['/admin/api-keys/{id}'].delete.responses).toHaveProperty('404');
    expect(body.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(Object.keys(body.components.schemas.ApiKeyView.properties)).not.toContain('key');
    expect(Object.keys(body.components.schemas.CreatedApiKeyView.properties)).toContain('key');
  });
});
