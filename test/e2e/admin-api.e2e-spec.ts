import { Types } from 'mongoose';
import request from 'supertest';
import { AdminUsersService } from '../../src/admin/admin-users.service';
import { GOOD_PASSWORD, login, NewAccount, newAccount, register } from '../support/accounts';
import { socialWorldWithMail, SocialWorldWithMail } from '../support/fixtures';
import { MailServer, tokenIn } from '../support/mail';
import { newIdentity, SocialWorld } from '../support/social';

const PROFILE_FIELDS = [
  { key: 'company', label: 'Company', type: 'text' },
  { key: 'plan', label: 'Plan', type: 'select', options: ['free', 'pro'], required: true },
  { key: 'seats', label: 'Seats', type: 'integer', min: 1 },
];
const NEW_PASSWORD = 'a passphrase an admin made me choose';

interface ListedEvent {
  type: string;
  actor: { id?: string };
  details: Record<string, unknown>;
}
const idsOf = (body: { users: Array<{ id: string }> }) => body.users.map(({ id }) => id);
const typesOf = (events: ListedEvent[]) => events.map(({ type }) => type);

/** The admin API over HTTP, against the real app, providers and SMTP server. */
describe('admin API', () => {
  let world: SocialWorld;
  let mail: MailServer;
  const http = () => world.t.http;
  const users = () => world.t.db.collection('users');
  const sessions = () => world.t.db.collection('sessions');
  const events = () => world.t.db.collection('events');
  const stored = (id: string) => users().findOne({ _id: new Types.ObjectId(id) });

  let fixture: SocialWorldWithMail;
  beforeAll(async () => {
    fixture = await socialWorldWithMail({
      PROFILE_FIELDS: JSON.stringify(PROFILE_FIELDS),
    });
    ({ mail, world } = fixture);
  });
  afterAll(() => fixture?.close());

  /** A registered account (with the required profile field), made admin in the database. */
  async function newAdmin() {
    const registered = await newUser('pro');
    await users().updateOne(
      { _id: new Types.ObjectId(registered.user.id) },
      { $set: { role: 'admin' } },
    );
    return registered;
  }

  /** A plain account, with its session cookie. */
  function newUser(plan = 'free', overrides: Partial<NewAccount> = {}) {
    return register(http(), Object.assign(newAccount(overrides), { data: { plan } }));
  }

  const as = (cookie: string) => ({
    get: (path: string) => request(http()).get(path).set('Cookie', cookie),
    patch: (path: string, body: object) =>
      request(http()).patch(path).set('Cookie', cookie).send(body),
    post: (path: string) => request(http()).post(path).set('Cookie', cookie),
    delete: (path: string) => request(http()).delete(path).set('Cookie', cookie),
  });

  /** Only the admins stay admins: earlier tests' admins are demoted, so each test counts its own. */
  async function onlyTheseAdmins(...ids: string[]) {
    await users().updateMany(
      { _id: { $nin: ids.map((id) => new Types.ObjectId(id)) } },
      { $set: { role: 'user' } },
    );
  }
  const enabledAdmins = () => users().countDocuments({ role: 'admin', disabled: { $ne: true } });

  describe('who may call it', () => {
    const routes = (id: string): Array<[string, string]> => [
      ['get', '/admin/users'],
      ['get', `/admin/users/${id}`],
      ['patch', `/admin/users/${id}`],
      ['delete', `/admin/users/${id}`],
      ['delete', `/admin/users/${id}/identities/google`],
      ['post', `/admin/users/${id}/sessions/revoke`],
      ['post', `/admin/users/${id}/password-reset`],
      ['get', '/admin/events'],
    ];

    it('answers anonymous requests with 401 UNAUTHENTICATED on every route', async () => {
      const { user } = await newUser();
      for (const [method, path] of routes(user.id)) {
        const response = await request(http())[method as 'get'](path).send({});
        expect({ path, method, status: response.status, code: response.body.error?.code }).toEqual({
          path,
          method,
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
      expect(await stored(user.id)).not.toBeNull();
    });

    it('answers a signed-in non-admin with 403 ADMIN_REQUIRED on every route, changing nothing', async () => {
      const { cookie } = await newUser();
      const { user } = await newUser();
      const before = await stored(user.id);
      const eventsBefore = await events().countDocuments({ userId: before!._id });
      for (const [method, path] of routes(user.id)) {
        const response = await request(http())
          [method as 'get'](path)
          .set('Cookie', cookie)
          .send({ name: 'Changed' });
        expect({ path, method, status: response.status, code: response.body.error?.code }).toEqual({
          path,
          method,
          status: 403,
          code: 'ADMIN_REQUIRED',
        });
      }
      expect(await stored(user.id)).toEqual(before);
      // Its own sign-up and sign-in are there; nothing the refused requests did.
      expect(await events().countDocuments({ userId: before!._id })).toBe(eventsBefore);
      const resetLinks = { userId: before!._id, purpose: 'reset-password' };
      expect(await world.t.db.collection('one_time_tokens').countDocuments(resetLinks)).toBe(0);
    });

    it('lets an admin in, and a demoted admin no more from the next request on', async () => {
      const { cookie, user } = await newAdmin();
      await as(cookie).get('/admin/users').expect(200);
      await users().updateOne({ _id: new Types.ObjectId(user.id) }, { $set: { role: 'user' } });
      const response = await as(cookie).get('/admin/users').expect(403);
      expect(response.body.error.code).toBe('ADMIN_REQUIRED');
    });

    it("asks an admin's old session to confirm before a change that adds or removes a way in (401 RECENT_SIGN_IN_REQUIRED, nothing written), but not an API key", async () => {
      const admin = await newAdmin();
      const { user } = await newUser();
      const created = await as(admin.cookie)
        .post('/admin/api-keys')
        .send({ name: 'billing', scopes: ['users:write'] })
        .expect(201);
      const key = created.body as { id: string; key: string };
      // Time passes: the admin's sign-in is no longer recent (a stolen cookie, say).
      await sessions().updateMany(
        { userId: new Types.ObjectId(admin.user.id) },
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );
      const before = await stored(user.id);
      const keysBefore = await world.t.db.collection('api_keys').find().toArray();
      const changes: Array<[string, string, object]> = [
        ['patch', `/admin/users/${user.id}`, { role: 'admin' }],
        ['patch', `/admin/users/${user.id}`, { email: 'thief@evil.test' }],
        ['patch', `/admin/users/${user.id}`, { disabled: true }],
        ['delete', `/admin/users/${user.id}`, {}],
        ['delete', `/admin/users/${user.id}/identities/google`, {}],
        ['post', '/admin/api-keys', { name: 'backdoor', scopes: ['admin'] }],
        ['delete', `/admin/api-keys/${key.id}`, {}],
      ];
      for (const [method, path, body] of changes) {
        const response = await request(http())
          [method as 'post'](path)
          .set('Cookie', admin.cookie)
          .send(body);
        expect({ method, path, status: response.status, code: response.body.error?.code }).toEqual({
          method,
          path,
          status: 401,
          code: 'RECENT_SIGN_IN_REQUIRED',
        });
      }
      expect(await stored(user.id)).toEqual(before);
      expect(await world.t.db.collection('api_keys').find().toArray()).toEqual(keysBefore);
      // Reading, ending sessions and mailing the owner a reset link add no way in for the caller.
      await as(admin.cookie).get(`/admin/users/${user.id}`).expect(200);
      await as(admin.cookie).post(`/admin/users/${user.id}/sessions/revoke`).expect(204);

      // A key is a credential of its own: it is asked nothing more.
      await request(http())
        .patch(`/admin/users/${user.id}`)
        .set('Authorization', `Bearer ${key.key}`)
        .send({ name: 'Renamed By Key' })
        .expect(200);
      // Confirming with the password makes the session recent again.
      const confirmed = await as(admin.cookie)
        .post('/auth/reauthenticate')
        .send({ password: GOOD_PASSWORD })
        .expect(200);
      const renewed = (confirmed.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
      await as(renewed).patch(`/admin/users/${user.id}`, { role: 'admin' }).expect(200);
      expect(await stored(user.id)).toMatchObject({ role: 'admin', name: 'Renamed By Key' });
    });

    it('is described in the OpenAPI document, with no secret in the account view', async () => {
      const { body } = await request(http()).get('/docs-json').expect(200);
      expect(Object.keys(body.paths['/admin/users/{id}']).sort()).toEqual(
        ['delete', 'get', 'patch'].sort(),
      );
      for (const path of [
        '/admin/users',
        '/admin/users/{id}/identities/{provider}',
        '/admin/users/{id}/sessions/revoke',
        '/admin/users/{id}/password-reset',
        '/admin/events',
      ]) {
        expect(body.paths).toHaveProperty([path]);
      }
      expect(body.paths['/admin/users/{id}'].patch.responses).toHaveProperty('409');
      const view = body.components.schemas.AdminUserDetailView.properties;
      expect(Object.keys(view)).toEqual(
        expect.arrayContaining(['disabled', 'lastSignInAt', 'role', 'sessionCount', 'identities']),
      );
      expect(Object.keys(view)).not.toContain('passwordHash');
      expect(Object.keys(body.components.schemas.UpdateUserDto.properties).sort()).toEqual(
        ['data', 'disabled', 'email', 'emailVerified', 'name', 'role', 'username'].sort(),
      );
    });
  });

  describe('GET /admin/users', () => {
    let admin: ReturnType<typeof as>;
    const tag = `zq${Date.now().toString(36)}`;
    const made: string[] = [];

    beforeAll(async () => {
      admin = as((await newAdmin()).cookie);
      // Oldest first: the search answers newest first.
      for (const [i, name] of ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'].entries()) {
        const { user } = await newUser('free', {
          email: `${tag}.person${i}@Example.test`,
          username: `${tag}_${i}`,
          name: `${name} ${tag.toUpperCase()}`,
        });
        made.push(user.id);
      }
    });

    const search = (query: string, extra = '') =>
      admin.get(`/admin/users?query=${encodeURIComponent(query)}${extra}`).expect(200);
    const found = async (query: string) => idsOf((await search(query)).body);

    it('finds accounts by the start of the email, username or name, in any case, newest first with the total', async () => {
      const byEmail = await search(`${tag.toUpperCase()}.PERSON`);
      expect(byEmail.body).toMatchObject({ total: 3, page: 1, limit: 20 });
      expect(idsOf(byEmail.body)).toEqual([...made].reverse());
      expect(await found(`${tag}.person1@example.te`)).toEqual([made[1]]);

      expect(await found(`${tag}_1`)).toEqual([made[1]]);
      expect(await found(`${tag}_`)).toEqual([...made].reverse());

      const byName = await found('grace hop');
      expect(byName).toContain(made[1]);
      expect(byName).not.toContain(made[0]);
    });

    it('finds an account by the start of any word of its name, whatever its accents and case', async () => {
      expect(await found(`lovelace ${tag}`)).toEqual([made[0]]);
      expect(await found(`TURING ${tag.toUpperCase()}`)).toEqual([made[2]]);
      expect(await found(tag)).toEqual([...made].reverse());
      const { user } = await newUser('free', { name: `Élodie Ångström-Ｎ${tag}` });
      for (const query of [`elodie angstrom-n${tag}`, `ÅNGSTRÖM-n${tag}`, `n${tag}`, `Ｎ${tag}`]) {
        expect({ query, ids: await found(query) }).toEqual({ query, ids: [user.id] });
      }
    });

    it('no longer finds an account by a part in the middle of a field', async () => {
      for (const query of [
        `${tag.slice(2)}.person0`, // inside the email
        `erson0@example.test`,
        `${tag.slice(1)}_0`, // inside the username
        'ovelace', // inside a word of the name
        '@example.test',
      ]) {
        const response = await search(query);
        expect({ query, ids: idsOf(response.body) }).toEqual({ query, ids: [] });
        expect(response.body.total).toBe(0);
      }
    });

    it('finds what the latest change says: edits by the owner and by an admin, and a confirmed new email', async () => {
      const before = { email: `${tag}.before@example.test`, username: `${tag}_before` };
      const { user, cookie, account } = await newUser('free', {
        ...before,
        name: `Before ${tag}`,
      });
      expect(await found(`before ${tag}`)).toEqual([user.id]);

      // The owner renames themselves: only the name's keys change.
      await request(http())
        .patch('/me')
        .set('Cookie', cookie)
        .send({ name: `Renamed Owner${tag}` })
        .expect(200);
      expect(await found(`before ${tag}`)).toEqual([]);
      expect(await found(`owner${tag}`)).toEqual([user.id]);
      expect(await found(before.email)).toEqual([user.id]);
      expect(await found(before.username)).toEqual([user.id]);

      // An admin changes the username and removes the name.
      await admin
        .patch(`/admin/users/${user.id}`, { username: `${tag}_after`, name: null })
        .expect(200);
      expect(await found(before.username)).toEqual([]);
      expect(await found(`${tag}_after`)).toEqual([user.id]);
      expect(await found(`owner${tag}`)).toEqual([]);
      expect(await found(before.email)).toEqual([user.id]);

      // The owner verifies the address, asks for a new one, and confirms it from its link.
      const verification = tokenIn(await mail.next(account.email), '/verify-email');
      await request(http())
        .post('/auth/email/verify')
        .set('Cookie', cookie)
        .send({ token: verification })
        .expect(200);
      const to = `${tag}.after@example.test`;
      await request(http()).patch('/me').set('Cookie', cookie).send({ email: to }).expect(202);
      // Pending, the new address finds nobody yet.
      expect(await found(to)).toEqual([]);
      const confirm = tokenIn(await mail.next(to), '/verify-email');
      await request(http())
        .post('/auth/email/verify')
        .set('Cookie', cookie)
        .send({ token: confirm })
        .expect(200);
      expect(await found(to)).toEqual([user.id]);
      expect(await found(before.email)).toEqual([]);
      expect(await found(`${tag}_after`)).toEqual([user.id]);
    });

    it('finds an account made by a provider sign-in by its name', async () => {
      const identity = newIdentity({ name: `Hedy Lamarr${tag}` });
      const signedUp = await world.browser().signIn(world.provider('okta'), identity);
      expect(signedUp.status).toBe(200);
      expect(await found(`lamarr${tag}`)).toEqual([signedUp.body.user.id]);
      expect(await found(identity.email!)).toEqual([signedUp.body.user.id]);
    });

    it('answers any query with 200, regular expression characters and operators as plain text', async () => {
      const { user } = await newUser('free', { name: `C++ (${tag}) .* a|b` });
      expect(await found(`c++ (${tag})`)).toEqual([user.id]);
      expect(await found(`c++ (${tag}) .* a|b`)).toEqual([user.id]);
      for (const query of [
        '.*',
        '^',
        '\\',
        '(',
        '[a-',
        '$where',
        '{"$gt":""}',
        '\u0000',
        '%',
        '\u0301',
        '😀',
        '\udbff\udfff',
        'a'.repeat(254),
      ]) {
        const response = await admin.get(`/admin/users?query=${encodeURIComponent(query)}`);
        expect({ query, status: response.status }).toEqual({ query, status: 200 });
        expect({ query, ids: idsOf(response.body) }).toEqual({ query, ids: [] });
      }
      const raw = await admin.get('/admin/users?query[$gt]=');
      expect(raw.status).toBe(400);
      // Query strings are parsed flat: no operator object ever reaches the search.
      expect(raw.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'query[$gt]' });
    });

    it('finds an account by the exact subject of a provider identity', async () => {
      const identity = newIdentity({ id: `okta|${tag}` });
      const signedUp = await world.browser().signIn(world.provider('okta'), identity);
      expect(signedUp.status).toBe(200);
      const query = encodeURIComponent(identity.id);
      const found = await admin.get(`/admin/users?query=${query}`).expect(200);
      expect(idsOf(found.body)).toEqual([signedUp.body.user.id]);
      expect(found.body.users[0].identities).toEqual([
        expect.objectContaining({ provider: 'okta', subject: identity.id }),
      ]);
      // A part of a subject is no match (it is in nobody's email, username or name).
      const partial = await admin.get(`/admin/users?query=${query.slice(0, -2)}`).expect(200);
      expect(partial.body.total).toBe(0);
    });

    it('treats the query as text, not as a pattern', async () => {
      const response = await admin
        .get(`/admin/users?query=${encodeURIComponent('.*')}`)
        .expect(200);
      expect(response.body).toMatchObject({ users: [], total: 0 });
    });

    it('pages through the results, with the same total on every page', async () => {
      const pages = await Promise.all(
        [1, 2, 3].map((page) =>
          admin.get(`/admin/users?query=${tag}.person&limit=2&page=${page}`).expect(200),
        ),
      );
      expect(pages.map(({ body }) => (body as { total: number }).total)).toEqual([3, 3, 3]);
      expect(pages.map(({ body }) => idsOf(body))).toEqual([[made[2], made[1]], [made[0]], []]);
      expect(pages[1].body).toMatchObject({ page: 2, limit: 2 });
    });

    it('lists every account without a query, and never a password hash', async () => {
      const response = await admin.get('/admin/users?limit=100').expect(200);
      expect(response.body.total).toBe(await users().countDocuments());
      expect(JSON.stringify(response.body)).not.toMatch(/argon2|passwordHash/);
    });

    it.each([
      ['page=0', 'page'],
      ['page=abc', 'page'],
      ['limit=101', 'limit'],
      ['limit=1.5', 'limit'],
      ['query=a&query=b', 'query'],
      ['sort=email', 'sort'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const response = await admin.get(`/admin/users?${query}`).expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    });
  });

  describe('GET /admin/users/{id}', () => {
    it('shows what an admin needs: identities, state, role, data, last sign-in and sessions', async () => {
      const { cookie: adminCookie } = await newAdmin();
      const { user, account } = await newUser('free', { name: 'Ada' });
      await login(http(), account.email, GOOD_PASSWORD);
      const response = await as(adminCookie).get(`/admin/users/${user.id}`).expect(200);
      expect(response.body.user).toMatchObject({
        id: user.id,
        email: account.email,
        emailVerified: false,
        name: 'Ada',
        role: 'user',
        disabled: false,
        data: { plan: 'free' },
        identities: [],
        hasPassword: true,
        sessionCount: 2,
      });
      const lastSignInAt = new Date(response.body.user.lastSignInAt as string).getTime();
      expect(Date.now() - lastSignInAt).toBeLessThan(60_000);
      expect(JSON.stringify(response.body)).not.toMatch(/argon2|passwordHash|tokenHash/);
    });

    it('answers 404 NOT_FOUND for an unknown or a malformed id', async () => {
      const { cookie } = await newAdmin();
      for (const id of [new Types.ObjectId().toHexString(), 'not-an-id', '123']) {
        const response = await as(cookie).get(`/admin/users/${id}`).expect(404);
        expect(response.body.error.code).toBe('NOT_FOUND');
      }
    });
  });

  describe('PATCH /admin/users/{id}', () => {
    it.each<[string, object, string]>([
      ['an invalid email', { email: 'not an email' }, 'email'],
      ['an invalid username', { username: 'No Spaces Allowed' }, 'username'],
      ['a name too long', { name: 'x'.repeat(101) }, 'name'],
      ['an unknown role', { role: 'root' }, 'role'],
      ['a disabled that is not a boolean', { disabled: 'yes' }, 'disabled'],
      ['an emailVerified that is not a boolean', { emailVerified: 1 }, 'emailVerified'],
      ['an unknown profile field', { data: { nickname: 'Ada' } }, 'data.nickname'],
      ['a wrong profile value', { data: { seats: 0 } }, 'data.seats'],
      ['a required profile field removed', { data: { plan: null } }, 'data.plan'],
      ['an unknown field', { passwordHash: '$argon2id$x' }, 'passwordHash'],
      ['a null email', { email: null }, 'email'],
      ['an email with a ligature', { email: 'ﬁona@example.test' }, 'email'],
      ['an email with a zero-width space', { email: 'fiona\u200b@example.test' }, 'email'],
      ['a full-width email', { email: 'ｆｉｏｎａ@example.test' }, 'email'],
    ])('refuses %s naming the field, writing nothing', async (_case, body, field) => {
      const { cookie } = await newAdmin();
      const { user } = await newUser();
      const before = await stored(user.id);
      const response = await as(cookie)
        .patch(`/admin/users/${user.id}`, { name: 'Changed', ...body })
        .expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(await stored(user.id)).toEqual(before);
      expect(await events().countDocuments({ userId: before!._id, type: 'user.updated' })).toBe(0);
    });

    it('changes name, username and email at once: the email is set directly, unverified unless said', async () => {
      const { cookie } = await newAdmin();
      const { user, cookie: userCookie } = await newUser();
      // A pending change of the owner's is replaced by the admin's.
      await request(http())
        .patch('/me')
        .set('Cookie', userCookie)
        .send({ email: newAccount().email })
        .expect(202);
      const email = newAccount().email;
      const response = await as(cookie)
        .patch(`/admin/users/${user.id}`, {
          name: ' Ada King ',
          username: 'Countess_Of_Lovelace_' + Date.now().toString(36),
          email: email.toUpperCase(),
        })
        .expect(200);
      expect(response.body.user).toMatchObject({
        name: 'Ada King',
        username: expect.stringMatching(/^countess_of_lovelace_/),
        email,
        emailVerified: false,
        pendingEmail: null,
      });
      // The person signs in with the new email at once.
      await login(http(), email, GOOD_PASSWORD);

      const verified = await as(cookie)
        .patch(`/admin/users/${user.id}`, { email: newAccount().email, emailVerified: true })
        .expect(200);
      expect(verified.body.user.emailVerified).toBe(true);
      const cleared = await as(cookie).patch(`/admin/users/${user.id}`, { name: null }).expect(200);
      expect(cleared.body.user.name).toBeNull();
      expect(await stored(user.id)).not.toHaveProperty('name');
    });

    it('tells the old verified address when an admin or a users:write key moves the email', async () => {
      const admin = await newAdmin();
      const created = await as(admin.cookie)
        .post('/admin/api-keys')
        .send({ name: 'support desk', scopes: ['users:write'] })
        .expect(201);
      const key = (created.body as { key: string }).key;
      for (const caller of ['session', 'key'] as const) {
        const { user, account } = await newUser();
        await users().updateOne(
          { _id: new Types.ObjectId(user.id) },
          { $set: { emailVerified: true } },
        );
        const moved = newAccount().email;
        const call = request(http()).patch(`/admin/users/${user.id}`);
        if (caller === 'session') call.set('Cookie', admin.cookie);
        else call.set('Authorization', `Bearer ${key}`);
        await call.send({ email: moved }).expect(200);
        const notice = await mail.next(account.email, 2);
        expect({ caller, subject: notice.subject }).toEqual({
          caller,
          subject: expect.stringContaining('was changed'),
        });
        expect(notice.text).toContain(moved);
      }
      // An unverified address may be somebody else's: it hears nothing.
      const { user, account } = await newUser();
      await as(admin.cookie)
        .patch(`/admin/users/${user.id}`, { email: newAccount().email })
        .expect(200);
      await as(admin.cookie).post(`/admin/users/${user.id}/password-reset`).expect(202);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(mail.to(account.email)).toHaveLength(1);
    });

    it("voids other accounts' pending changes to the address it gives: their links answer 409", async () => {
      const { cookie } = await newAdmin();
      const waiting = await newUser();
      const address = newAccount().email;
      await as(waiting.cookie).patch('/me', { email: address }).expect(202);
      const link = tokenIn(await mail.next(address), '/verify-email');
      const { user } = await newUser();
      await as(cookie).patch(`/admin/users/${user.id}`, { email: address }).expect(200);
      expect((await stored(waiting.user.id))!.pendingEmail).toBeUndefined();
      const refused = await request(http())
        .post('/auth/email/verify')
        .send({ token: link })
        .expect(409);
      expect(refused.body.error.code).toBe('EMAIL_TAKEN');
      expect((await stored(user.id))!.email).toBe(address);
      expect((await stored(waiting.user.id))!.email).toBe(waiting.account.email);
    });

    it('refuses an email or username another account has with 409, writing nothing', async () => {
      const { cookie } = await newAdmin();
      const { user } = await newUser();
      const other = await newUser();
      const before = await stored(user.id);
      const email = await as(cookie)
        .patch(`/admin/users/${user.id}`, { name: 'X', email: other.account.email.toUpperCase() })
        .expect(409);
      expect(email.body.error).toMatchObject({ code: 'EMAIL_TAKEN', field: 'email' });
      const username = await as(cookie)
        .patch(`/admin/users/${user.id}`, { name: 'X', username: other.user.username })
        .expect(409);
      expect(username.body.error).toMatchObject({ code: 'USERNAME_TAKEN', field: 'username' });
      expect(await stored(user.id)).toEqual(before);
    });

    it('sets strasse beside straße: two addresses, each found only by its own search', async () => {
      const { cookie } = await newAdmin();
      const tag = `zs${Date.now().toString(36)}`;
      const sharp = await newUser('free', { email: `straße.${tag}@example.test` });
      const { user } = await newUser();
      const changed = await as(cookie)
        .patch(`/admin/users/${user.id}`, { email: `STRASSE.${tag}@example.test` })
        .expect(200);
      expect(changed.body.user.email).toBe(`strasse.${tag}@example.test`);
      expect((await stored(sharp.user.id))?.email).toBe(`straße.${tag}@example.test`);

      const search = (query: string) =>
        as(cookie)
          .get(`/admin/users?query=${encodeURIComponent(query)}`)
          .expect(200);
      expect(idsOf((await search(`strasse.${tag}`)).body)).toEqual([user.id]);
      expect(idsOf((await search(`STRAßE.${tag}`)).body)).toEqual([sharp.user.id]);
    });

    it('merges data: only the keys given change, and null removes an optional one', async () => {
      const { cookie } = await newAdmin();
      const { user } = await newUser();
      await as(cookie)
        .patch(`/admin/users/${user.id}`, { data: { company: ' Analytical Engines ', seats: 3 } })
        .expect(200);
      const merged = await as(cookie)
        .patch(`/admin/users/${user.id}`, { data: { seats: 5, plan: 'pro' } })
        .expect(200);
      expect(merged.body.user.data).toEqual({
        company: 'Analytical Engines',
        seats: 5,
        plan: 'pro',
      });
      const removed = await as(cookie)
        .patch(`/admin/users/${user.id}`, { data: { company: null } })
        .expect(200);
      expect(removed.body.user.data).toEqual({ seats: 5, plan: 'pro' });
      // The owner sees the same.
      const own = await as(await login(http(), (await stored(user.id))!.email, GOOD_PASSWORD))
        .get('/me')
        .expect(200);
      expect(own.body.user.data).toEqual({ seats: 5, plan: 'pro' });
    });

    it('makes an account admin, which then may use the admin API', async () => {
      const { cookie } = await newAdmin();
      const { user, cookie: userCookie } = await newUser();
      await as(userCookie).get('/admin/users').expect(403);
      const response = await as(cookie)
        .patch(`/admin/users/${user.id}`, { role: 'admin' })
        .expect(200);
      expect(response.body.user.role).toBe('admin');
      await as(userCookie).get('/admin/users').expect(200);
    });

    it('refuses emailVerified true for an account without an email', async () => {
      const { cookie } = await newAdmin();
      const { user } = await newUser();
      await users().updateOne({ _id: new Types.ObjectId(user.id) }, { $unset: { email: 1 } });
      const response = await as(cookie)
        .patch(`/admin/users/${user.id}`, { emailVerified: true })
        .expect(400);
      expect(response.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'emailVerified',
      });
    });
  });

  describe('the last admin', () => {
    it('cannot be demoted, disabled or deleted, nor delete their own account', async () => {
      const { cookie, user } = await newAdmin();
      await onlyTheseAdmins(user.id);
      const admin = as(cookie);
      for (const body of [{ role: 'user' }, { disabled: true }, { name: 'Still', role: 'user' }]) {
        const response = await admin.patch(`/admin/users/${user.id}`, body).expect(409);
        expect(response.body.error.code).toBe('LAST_ADMIN');
      }
      expect((await admin.delete(`/admin/users/${user.id}`).expect(409)).body.error.code).toBe(
        'LAST_ADMIN',
      );
      const own = await admin.delete('/me').send({ password: GOOD_PASSWORD }).expect(409);
      expect(own.body.error.code).toBe('LAST_ADMIN');
      // The settings page says why above the form, not as a fault of the password typed.
      const browser = request.agent(http());
      const form = await browser
        .get('/settings/delete')
        .set('Cookie', cookie)
        .set('Accept', 'text/html')
        .expect(200);
      const page = await browser
        .post('/settings/delete')
        .set('Cookie', cookie)
        .type('form')
        .send({
          _csrf: /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1],
          password: GOOD_PASSWORD,
        })
        .expect(409);
      expect(page.text).toMatch(/<p class="alert" role="alert">[^<]*last[^<]*admin/i);
      expect(page.text).not.toContain('field-error');
      expect(await stored(user.id)).toMatchObject({ role: 'admin', disabled: false });
      expect(await enabledAdmins()).toBe(1);
      await admin.get('/admin/users').expect(200);
    });

    it('may go once another admin is enabled, and a disabled admin does not count', async () => {
      const first = await newAdmin();
      const second = await newAdmin();
      await onlyTheseAdmins(first.user.id, second.user.id);
      await as(first.cookie)
        .patch(`/admin/users/${second.user.id}`, { disabled: true })
        .expect(200);
      // The second is disabled: the first is the last enabled admin.
      await as(first.cookie).patch(`/admin/users/${first.user.id}`, { role: 'user' }).expect(409);
      // A disabled admin may be demoted: it takes no enabled admin away.
      await as(first.cookie).patch(`/admin/users/${second.user.id}`, { role: 'user' }).expect(200);
      await as(first.cookie).patch(`/admin/users/${second.user.id}`, { role: 'admin' }).expect(200);
      await as(first.cookie)
        .patch(`/admin/users/${second.user.id}`, { disabled: false })
        .expect(200);
      await as(first.cookie).patch(`/admin/users/${first.user.id}`, { role: 'user' }).expect(200);
      expect(await enabledAdmins()).toBe(1);
    });

    it('holds when two admins demote each other at the same moment: at most one succeeds', async () => {
      for (let round = 0; round < 3; round++) {
        const a = await newAdmin();
        const b = await newAdmin();
        await onlyTheseAdmins(a.user.id, b.user.id);
        const [ab, ba] = await Promise.all([
          as(a.cookie).patch(`/admin/users/${b.user.id}`, { role: 'user' }),
          as(b.cookie).patch(`/admin/users/${a.user.id}`, { role: 'user' }),
        ]);
        const statuses = [ab.status, ba.status].sort();
        // The loser is refused by the rule (409), or, if the winner committed first, by the guard.
        expect(statuses[0]).toBe(200);
        expect([403, 409]).toContain(statuses[1]);
        expect(await enabledAdmins()).toBe(1);
      }
    });

    it('holds for parallel demotions, disablings and deletions of every admin', async () => {
      const service = world.t.app.get(AdminUsersService);
      for (const operation of ['demote', 'disable', 'delete'] as const) {
        const admins = await Promise.all([newAdmin(), newAdmin(), newAdmin()]);
        const ids = admins.map(({ user }) => user.id);
        await onlyTheseAdmins(...ids);
        const results = await Promise.allSettled(
          ids.map((id) =>
            operation === 'demote'
              ? service.update(id, { role: 'user' })
              : operation === 'disable'
                ? service.disable(id)
                : service.delete(id),
          ),
        );
        const refused = results.filter(
          (result): result is PromiseRejectedResult => result.status === 'rejected',
        );
        expect({ operation, refused: refused.length }).toEqual({ operation, refused: 1 });
        expect(refused[0].reason).toMatchObject({ code: 'LAST_ADMIN' });
        expect(await enabledAdmins()).toBe(1);
      }
    });
  });

  describe('deleting an account', () => {
    it('deletes it with its sessions, tells its verified address, and records who did it', async () => {
      const { cookie, user: adminUser } = await newAdmin();
      const { user, cookie: userCookie, account } = await newUser();
      await users().updateOne(
        { _id: new Types.ObjectId(user.id) },
        { $set: { emailVerified: true } },
      );
      await as(cookie).delete(`/admin/users/${user.id}`).expect(204);
      expect(await stored(user.id)).toBeNull();
      expect(await sessions().countDocuments({ userId: new Types.ObjectId(user.id) })).toBe(0);
      await as(userCookie).get('/me').expect(401);
      const notice = await mail.next(account.email, 2);
      expect(notice.subject).toMatch(/deleted/i);
      expect(
        await events().findOne({ type: 'user.deleted', userId: new Types.ObjectId(user.id) }),
      ).toMatchObject({ actor: { kind: 'user', id: adminUser.id } });
      await as(cookie).delete(`/admin/users/${user.id}`).expect(404);
    });
  });

  describe('DELETE /admin/users/{id}/identities/{provider}', () => {
    it('unlinks a provider from an account that keeps another way in, ending the sessions it made', async () => {
      const { cookie } = await newAdmin();
      const { user, account } = await newUser();
      const browser = world.browser();
      await browser.agent
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(200);
      await users().updateOne({ _id: new Types.ObjectId(user.id) }, {
        $push: {
          identities: { provider: 'google', subject: `g-${user.id}`, linkedAt: new Date() },
        },
      } as never);
      const viaGoogle = world.browser();
      const signedIn = await viaGoogle.signIn(
        world.provider('google'),
        newIdentity({ id: `g-${user.id}` }),
      );
      expect(signedIn.body).toMatchObject({ action: 'signed-in', user: { id: user.id } });
      await as(cookie).delete(`/admin/users/${user.id}/identities/google`).expect(204);
      expect((await stored(user.id))!.identities).toEqual([]);
      await viaGoogle.me().expect(401);
      await browser.me().expect(200);
      expect(
        await events().findOne({ type: 'identity.unlinked', userId: new Types.ObjectId(user.id) }),
      ).toMatchObject({ details: { provider: 'google' } });
    });

    it('refuses to unlink the only way in (409 LAST_LOGIN_METHOD) and an identity not linked (404)', async () => {
      const { cookie } = await newAdmin();
      const identity = newIdentity();
      const signedUp = await world.browser().signIn(world.provider('okta'), identity);
      expect(signedUp.status).toBe(200);
      const id = signedUp.body.user.id as string;
      const last = await as(cookie).delete(`/admin/users/${id}/identities/okta`).expect(409);
      expect(last.body.error.code).toBe('LAST_LOGIN_METHOD');
      expect((await stored(id))!.identities).toHaveLength(1);
      const none = await as(cookie).delete(`/admin/users/${id}/identities/github`).expect(404);
      expect(none.body.error.code).toBe('NOT_LINKED');
    });
  });

  describe('POST /admin/users/{id}/sessions/revoke', () => {
    it('ends every session of the account at once', async () => {
      const { cookie } = await newAdmin();
      const { user, cookie: first, account } = await newUser();
      const second = await login(http(), account.email, GOOD_PASSWORD);
      await as(cookie).post(`/admin/users/${user.id}/sessions/revoke`).expect(204);
      await as(first).get('/me').expect(401);
      await as(second).get('/me').expect(401);
      const shown = await as(cookie).get(`/admin/users/${user.id}`).expect(200);
      expect(shown.body.user.sessionCount).toBe(0);
      // The account itself is untouched: it signs in again.
      await login(http(), account.email, GOOD_PASSWORD);
    });
  });

  describe('POST /admin/users/{id}/password-reset', () => {
    it('mails a recovery link that sets a new password', async () => {
      const { cookie } = await newAdmin();
      const { user, account } = await newUser();
      const response = await as(cookie).post(`/admin/users/${user.id}/password-reset`).expect(202);
      expect(response.body).toEqual({ sentTo: account.email });
      const token = tokenIn(await mail.next(account.email, 2), '/reset-password');
      // The owner asking too within the minute gets no second link.
      await request(http())
        .post('/auth/password/forgot')
        .send({ email: account.email })
        .expect(202);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(mail.to(account.email)).toHaveLength(2);
      await request(http())
        .post('/auth/password/reset')
        .send({ token, newPassword: NEW_PASSWORD })
        .expect(204);
      await login(http(), account.email, NEW_PASSWORD);
    });

    it('answers 409 NO_EMAIL for an account without an address, sending nothing', async () => {
      const { cookie } = await newAdmin();
      const signedUp = await world.browser().signIn(world.provider('facebook'), newIdentity());
      expect(signedUp.body.user.email).toBeNull();
      const id = signedUp.body.user.id as string;
      const response = await as(cookie).post(`/admin/users/${id}/password-reset`).expect(409);
      expect(response.body.error.code).toBe('NO_EMAIL');
      const links = { userId: new Types.ObjectId(id), purpose: 'reset-password' };
      expect(await world.t.db.collection('one_time_tokens').countDocuments(links)).toBe(0);
    });
  });

  describe('the events of admin actions', () => {
    it('records each action with the admin as actor, listed newest first by GET /admin/events', async () => {
      const { cookie, user: adminUser } = await newAdmin();
      const admin = as(cookie);
      const { user } = await newUser();
      await admin
        .patch(`/admin/users/${user.id}`, { name: 'Renamed', data: { seats: 2 } })
        .expect(200);
      await admin.patch(`/admin/users/${user.id}`, { disabled: true }).expect(200);
      await admin.patch(`/admin/users/${user.id}`, { disabled: false }).expect(200);
      await admin.patch(`/admin/users/${user.id}`, { role: 'admin' }).expect(200);
      await admin.post(`/admin/users/${user.id}/sessions/revoke`).expect(204);
      await admin.post(`/admin/users/${user.id}/password-reset`).expect(202);

      const listed = await admin.get(`/admin/events?userId=${user.id}`).expect(200);
      const ours = (listed.body.events as ListedEvent[]).filter(
        (event) => event.actor.id === adminUser.id,
      );
      expect(typesOf(ours)).toEqual([
        'password.reset_requested',
        'session.revoked',
        'user.updated',
        'user.enabled',
        'user.disabled',
        'user.updated',
      ]);
      expect(ours[2].details).toEqual({ fields: ['role'], role: 'admin' });
      expect(ours[5].details).toEqual({ fields: ['name', 'data.seats'] });
      expect(ours[0]).toMatchObject({ userId: user.id, actor: { kind: 'user', id: adminUser.id } });
      expect(JSON.stringify(listed.body)).not.toMatch(/Renamed|argon2/);

      const byType = await admin.get(`/admin/events?userId=${user.id}&type=user.updated`);
      expect(typesOf(byType.body.events)).toEqual(['user.updated', 'user.updated']);
      // Paging with before: the next page starts after the last event shown.
      const first = await admin.get(`/admin/events?userId=${user.id}&limit=2`).expect(200);
      expect(first.body.next).toBe(first.body.events[1].id);
      const second = await admin
        .get(`/admin/events?userId=${user.id}&limit=2&before=${first.body.next}`)
        .expect(200);
      expect(typesOf(second.body.events)).toEqual(['user.updated', 'user.enabled']);
    });

    it.each([
      ['userId=nope', 'userId'],
      ['userId=0x1234567890abcdef123456', 'userId'],
      ['type=user.exploded', 'type'],
      ['before=123', 'before'],
      ['limit=0', 'limit'],
    ])('refuses ?%s naming %s', async (query, field) => {
      const { cookie } = await newAdmin();
      const response = await as(cookie).get(`/admin/events?${query}`).expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    });
  });
});
