import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD, login, newAccount, register, sessionCookie } from '../support/accounts';
import { createTestApp, TestApp } from '../support/test-app';

const NEW_PASSWORD = 'a whole new passphrase, longer';

describe('account settings', () => {
  let t: TestApp;
  const users = () => t.db.collection('users');
  const sessions = () => t.db.collection('sessions');

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('GET /me', () => {
    it('shows the signed-in user', async () => {
      const { cookie, user } = await register(t.http, newAccount({ name: 'Mary Somerville' }));
      const response = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(response.body.user).toEqual({ ...user, name: 'Mary Somerville' });
    });

    it('answers 401 with a JSON error when signed out', async () => {
      const response = await request(t.http).get('/me').expect(401);
      expect(response.body).toEqual({
        error: { code: 'UNAUTHENTICATED', message: expect.any(String) },
      });
    });
  });

  describe('PATCH /me', () => {
    it('changes name and username at once, normalised; a new email waits for its link (202)', async () => {
      const { cookie, user, account } = await register(t.http);
      const response = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send({ name: ' Émilie du Châtelet ', username: 'Emilie', email: 'Emilie@Example.TEST' })
        .expect(202);
      expect(response.body.user).toMatchObject({
        id: user.id,
        name: 'Émilie du Châtelet',
        username: 'emilie',
        email: account.email,
        pendingEmail: 'emilie@example.test',
      });
      const stored = await users().findOne({ _id: new Types.ObjectId(user.id) });
      expect(stored).toMatchObject({
        username: 'emilie',
        email: account.email,
        pendingEmail: 'emilie@example.test',
      });
      // The new identifiers sign in.
      await login(t.http, 'EMILIE', GOOD_PASSWORD);
    });

    it('clears the name with null', async () => {
      const { cookie, user } = await register(t.http, newAccount({ name: 'To Be Cleared' }));
      const response = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send({ name: null })
        .expect(200);
      expect(response.body.user.name).toBeNull();
      const stored = await users().findOne({ _id: new Types.ObjectId(user.id) });
      expect(stored).not.toHaveProperty('name');
    });

    it.each([
      ['email', { email: 'Holder@example.test' }, 'EMAIL_TAKEN'],
      ['username', { username: 'HOLDER' }, 'USERNAME_TAKEN'],
    ])(
      'refuses a taken %s with 409 naming it, and changes nothing',
      async (field, change, code) => {
        await register(
          t.http,
          newAccount({ email: 'holder@example.test', username: 'holder' }),
        ).catch(() => undefined);
        // Only a verified address is taken: an unverified one goes to whoever proves it.
        await users().updateOne({ username: 'holder' }, { $set: { emailVerified: true } });
        const { cookie, user } = await register(t.http);
        const response = await request(t.http)
          .patch('/me')
          .set('Cookie', cookie)
          .send({ name: 'Should Not Stick', ...change })
          .expect(409);
        expect(response.body.error).toMatchObject({ code, field });
        const stored = await users().findOne({ _id: new Types.ObjectId(user.id) });
        expect(stored?.name).toBeUndefined();
      },
    );

    it.each([
      ['a null email', { email: null }, 'email'],
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['a too short username', { username: 'ab' }, 'username'],
      ['a username with spaces', { username: 'ada lovelace' }, 'username'],
      ['an operator as name', { name: { $set: { role: 'admin' } } }, 'name'],
      ['a role change', { role: 'admin' }, 'role'],
      ['an empty name', { name: '   ' }, 'name'],
    ])('refuses %s with 400 naming the field', async (_case, body, field) => {
      const { cookie, user } = await register(t.http);
      const response = await request(t.http)
        .patch('/me')
        .set('Cookie', cookie)
        .send(body)
        .expect(400);
      expect(response.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field });
      const stored = await users().findOne({ _id: new Types.ObjectId(user.id) });
      expect(stored).toMatchObject({ role: 'user', username: user.username });
      expect(stored?.name).toBeUndefined();
    });

    it('needs a session', async () => {
      await request(t.http).patch('/me').send({ name: 'Nobody' }).expect(401);
    });
  });

  describe('PUT /me/password', () => {
    it('changes the password and ends every other session, keeping this one under a new cookie', async () => {
      const { cookie, account } = await register(t.http);
      const otherDevice = await login(t.http, account.email, GOOD_PASSWORD);

      const changed = await request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .send({ currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD })
        .expect(204);

      await request(t.http).get('/me').set('Cookie', sessionCookie(changed)).expect(200);
      await request(t.http).get('/me').set('Cookie', cookie).expect(401);
      await request(t.http).get('/me').set('Cookie', otherDevice).expect(401);
      await request(t.http)
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(401);
      await login(t.http, account.email, NEW_PASSWORD);
    });

    it('refuses a wrong current password with 401 and keeps the old one', async () => {
      const { cookie, account } = await register(t.http);
      const response = await request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .send({ currentPassword: 'this is not my password', newPassword: NEW_PASSWORD })
        .expect(401);
      expect(response.body.error).toMatchObject({
        code: 'WRONG_PASSWORD',
        field: 'currentPassword',
      });
      await login(t.http, account.email, GOOD_PASSWORD);
    });

    it('requires the current password when the account has one, as a wrong one (401)', async () => {
      const { cookie } = await register(t.http);
      const response = await request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .send({ newPassword: NEW_PASSWORD })
        .expect(401);
      expect(response.body.error).toMatchObject({
        code: 'WRONG_PASSWORD',
        field: 'currentPassword',
      });
    });

    it('of two changes in parallel, takes one and refuses the other with 409 PASSWORD_CHANGED', async () => {
      const { cookie, account } = await register(t.http);
      const change = (newPassword: string) =>
        request(t.http)
          .put('/me/password')
          .set('Cookie', cookie)
          .send({ currentPassword: GOOD_PASSWORD, newPassword });
      const candidates = [NEW_PASSWORD, `${NEW_PASSWORD}, again`];

      const answers = await Promise.all(candidates.map(change));

      expect(answers.map(({ status }) => status).sort()).toEqual([204, 409]);
      const refused = answers.find(({ status }) => status === 409)!;
      expect(refused.body.error.code).toBe('PASSWORD_CHANGED');
      // The winner's password is the one in force, not overwritten by the other's.
      const winner = candidates[answers.findIndex(({ status }) => status === 204)];
      const loser = candidates.find((candidate) => candidate !== winner)!;
      await login(t.http, account.email, winner);
      await request(t.http)
        .post('/auth/login')
        .send({ login: account.email, password: loser })
        .expect(401);
    });

    it('applies the password policy to the new password', async () => {
      const { cookie, account } = await register(t.http);
      const response = await request(t.http)
        .put('/me/password')
        .set('Cookie', cookie)
        .send({ currentPassword: GOOD_PASSWORD, newPassword: 'passwordpassword' })
        .expect(400);
      expect(response.body.error).toMatchObject({ code: 'WEAK_PASSWORD', field: 'newPassword' });
      await login(t.http, account.email, GOOD_PASSWORD);
    });

    it.each([
      ['email address', 'mine: GRACE.HOPPER.1@EXAMPLE.TEST', 1],
      ['username', 'call me Admiral_Hopper_2 forever', 2],
    ])(
      'refuses a new password containing the current %s, saying so and changing nothing',
      async (what, newPassword, n) => {
        const { cookie } = await register(
          t.http,
          newAccount({ email: `grace.hopper.${n}@example.test`, username: `amazing_grace_${n}` }),
        );
        // Renamed since registering: what counts is the account as it is now. (A new email would
        // only be pending until confirmed, so the registered one stays.)
        const email = `grace.hopper.${n}@example.test`;
        const username = `admiral_hopper_${n}`;
        await request(t.http).patch('/me').set('Cookie', cookie).send({ username }).expect(200);
        const before = await users().findOne({ username });
        expect(before?.passwordHash).toEqual(expect.any(String));
        const otherDevice = await login(t.http, username, GOOD_PASSWORD);

        const response = await request(t.http)
          .put('/me/password')
          .set('Cookie', cookie)
          .send({ currentPassword: GOOD_PASSWORD, newPassword })
          .expect(400);

        expect(response.body.error).toEqual({
          code: 'WEAK_PASSWORD',
          message: `Your password must not contain your ${what}.`,
          field: 'newPassword',
        });
        expect(response.headers['set-cookie']).toBeUndefined();
        expect((await users().findOne({ username }))?.passwordHash).toBe(before?.passwordHash);
        await request(t.http).get('/me').set('Cookie', otherDevice).expect(200);
        await login(t.http, email, GOOD_PASSWORD);
      },
    );
  });

  describe('DELETE /me', () => {
    it('deletes the account and all its sessions', async () => {
      const { cookie, account, user } = await register(t.http);
      const otherDevice = await login(t.http, account.email, GOOD_PASSWORD);
      const userId = new Types.ObjectId(user.id);
      expect(await sessions().countDocuments({ userId })).toBe(2);

      const response = await request(t.http)
        .delete('/me')
        .set('Cookie', cookie)
        .send({ password: GOOD_PASSWORD })
        .expect(204);
      expect((response.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^sid=;/);

      expect(await users().countDocuments({ _id: userId })).toBe(0);
      expect(await sessions().countDocuments({ userId })).toBe(0);
      await request(t.http).get('/me').set('Cookie', otherDevice).expect(401);
      await request(t.http)
        .post('/auth/login')
        .send({ login: account.email, password: GOOD_PASSWORD })
        .expect(401);
      // The email is free again.
      await register(t.http, account);
    });

    it('refuses a wrong password with 401 and keeps the account', async () => {
      const { cookie, user } = await register(t.http);
      const response = await request(t.http)
        .delete('/me')
        .set('Cookie', cookie)
        .send({ password: 'this is not my password' })
        .expect(401);
      expect(response.body.error).toMatchObject({ code: 'WRONG_PASSWORD', field: 'password' });
      expect(await users().countDocuments({ _id: new Types.ObjectId(user.id) })).toBe(1);
      await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    });

    it('requires the password, as a wrong one (401)', async () => {
      const { cookie, user } = await register(t.http);
      const response = await request(t.http).delete('/me').set('Cookie', cookie).expect(401);
      expect(response.body.error).toMatchObject({ code: 'WRONG_PASSWORD', field: 'password' });
      expect(await users().countDocuments({ _id: new Types.ObjectId(user.id) })).toBe(1);
    });
  });
});
