import { Types } from 'mongoose';
import request from 'supertest';
import type { CliIo } from '../../src/cli/cli-io';
import type { runCli as RunCli } from '../../src/cli/run-cli';
import { GOOD_PASSWORD, login, newAccount, register } from '../support/accounts';
import { MailServer } from '../support/mail';
import { testServerUri, withDatabase } from '../support/mongo-uri';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';

/** What one command line printed, and how it ended. */
interface Run {
  code: number;
  out: string;
  err: string;
}

/**
 * The CLI as `npm run cli -- …` runs it (runCli is all that dist/cli.js calls), against the
 * database of a running app, which the tests then use over HTTP. It runs in this process but on
 * modules of its own, as in a process of its own: process-wide singletons (passport's strategies,
 * Nest's logger) stay the app's.
 */
describe('the CLI', () => {
  let t: TestApp;
  let mail: MailServer;
  let runCli: typeof RunCli;
  const database = newDatabaseName();
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    await jest.isolateModulesAsync(async () => {
      ({ runCli } = await import('../../src/cli/run-cli'));
    });
    mail = await MailServer.start();
    // Secrets set, as in production: without them the service warns (on stderr) at every start.
    const shared = {
      ...mail.env,
      OIDC_KEY_SECRET: 'a test secret for the signing keys, 32+',
      CSRF_SECRET: 'a test secret for the forms, 32 characters+',
    };
    t = await createTestApp({
      database,
      captureLogs: true,
      env: { ...shared, MAIL_POLL_INTERVAL_MS: '200' },
    });
    // What the operator's shell would hold: the service's database and secrets.
    Object.assign(process.env, {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      MONGODB_URI: withDatabase(testServerUri(), database),
      ...shared,
    });
  });
  afterAll(async () => {
    process.env = savedEnv;
    await t.close();
    await mail.close();
  });

  async function cli(...argv: string[]): Promise<Run> {
    const run = { out: '', err: '' };
    const io: CliIo = { out: (text) => (run.out += text), err: (text) => (run.err += text) };
    const code = await runCli(argv, io);
    return { code, ...run };
  }

  const users = () => t.db.collection('users');
  const eventsOf = (type: string, userId?: Types.ObjectId) =>
    t.db
      .collection('events')
      .find(userId ? { type, userId } : { type })
      .toArray();
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  /** A registered account whose owner verified the email, and its session cookie. */
  async function verifiedAccount() {
    const registered = await register(t.http);
    const _id = new Types.ObjectId(registered.user.id);
    await users().updateOne({ _id }, { $set: { emailVerified: true } });
    return { ...registered, _id };
  }

  describe('command lines', () => {
    it('--help lists every command, exit 0, without touching the database', async () => {
      process.env.MONGODB_URI = 'mongodb://127.0.0.1:9/unreachable';
      try {
        const run = await cli('--help');
        expect(run.code).toBe(0);
        for (const command of ['rotate-keys', 'create-admin', 'api-keys', 'users']) {
          expect(run.out).toContain(command);
        }
        const keys = await cli('api-keys', '--help');
        expect(keys.code).toBe(0);
        expect(keys.out).toMatch(/create[\s\S]*list[\s\S]*revoke/);
        const people = await cli('users', '--help');
        expect(people.out).toMatch(/find[\s\S]*disable[\s\S]*enable[\s\S]*delete/);
      } finally {
        process.env.MONGODB_URI = withDatabase(testServerUri(), database);
      }
    });

    it.each([
      ['an unknown command', ['launch']],
      ['a group without its command', ['api-keys']],
      ['an unknown command of a group', ['users', 'purge', 'x']],
      ['create-admin without --email', ['create-admin']],
      ['create-admin with something that is not an email', ['create-admin', '--email', 'ada']],
      ['create-admin with a ligature', ['create-admin', '--email', 'ﬁona@example.test']],
      [
        'create-admin with a zero-width space',
        ['create-admin', '--email', 'ada\u200b@example.test'],
      ],
      ['api-keys create without --scope', ['api-keys', 'create', '--name', 'x']],
      [
        'api-keys create with an unknown scope',
        ['api-keys', 'create', '--name', 'x', '--scope', 'root'],
      ],
      ['users disable without whom', ['users', 'disable']],
    ])('refuses %s with exit code 2 and says why on stderr', async (_, argv) => {
      const run = await cli(...argv);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/error|Usage/);
      expect(run.out).toBe('');
    });

    it('fails with exit code 1 and one line on stderr when the configuration is wrong', async () => {
      process.env.PASSWORD_MIN_LENGTH = 'long';
      try {
        const run = await cli('api-keys', 'list');
        expect(run.code).toBe(1);
        expect(run.err).toMatch(/^Invalid configuration: PASSWORD_MIN_LENGTH[^\n]*\n$/);
      } finally {
        delete process.env.PASSWORD_MIN_LENGTH;
      }
    });
  });

  describe('create-admin', () => {
    it('creates an admin without a password; its link sets one, and it signs in', async () => {
      const email = `Grace.Hopper.${Date.now()}@Example.test`;
      const run = await cli('create-admin', '--email', email);
      expect(run).toMatchObject({ code: 0, err: '' });
      expect(run.out).toContain('Created the admin account grace_hopper');

      const user = await users().findOne({ email: email.toLowerCase() });
      expect(user).toMatchObject({ role: 'admin', emailVerified: false, identities: [] });
      expect(user?.username).toMatch(/^grace_hopper/);
      expect(user).not.toHaveProperty('passwordHash');
      for (const type of ['user.created', 'user.updated', 'password.reset_requested']) {
        const [event] = await eventsOf(type, user!._id);
        expect(event?.actor).toEqual({ kind: 'cli' });
      }

      const link = new URL(/https?:\/\/\S+\/reset-password\?token=\S+/.exec(run.out)![0]);
      const token = link.searchParams.get('token')!;
      await request(t.http).get(`/reset-password?token=${token}`).expect(200);
      await request(t.http)
        .post('/auth/password/reset')
        .send({ token, newPassword: GOOD_PASSWORD })
        .expect(204);
      // It works once.
      await request(t.http)
        .post('/auth/password/reset')
        .send({ token, newPassword: GOOD_PASSWORD })
        .expect(400);
      const cookie = await login(t.http, email, GOOD_PASSWORD);
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user).toMatchObject({
        role: 'admin',
        hasPassword: true,
        emailVerified: false,
      });
      await request(t.http).get('/admin/api-keys').set('Cookie', cookie).expect(200);
    });

    it('promotes an existing account with a verified email, which keeps its sessions', async () => {
      const person = await verifiedAccount();
      await request(t.http).get('/admin/api-keys').set('Cookie', person.cookie).expect(403);

      const run = await cli('create-admin', '--email', person.account.email.toUpperCase());
      expect(run.code).toBe(0);
      expect(run.out).toContain(`${person.user.username} <${person.account.email}>`);
      expect(run.out).toContain('is now an admin');
      expect(run.out).toMatch(/\/reset-password\?token=/);
      expect(await users().findOne({ _id: person._id })).toMatchObject({
        role: 'admin',
        emailVerified: true,
      });
      await request(t.http).get('/admin/api-keys').set('Cookie', person.cookie).expect(200);
      const [event] = await eventsOf('user.updated', person._id);
      expect(event).toMatchObject({ actor: { kind: 'cli' }, details: { role: 'admin' } });

      const again = await cli('create-admin', '--email', person.account.email);
      expect(again.out).toContain('was an admin already');
    });

    it('does not promote an account whose email is unverified (it may not be its owner’s)', async () => {
      const claimant = await register(t.http);
      const run = await cli('create-admin', '--email', claimant.account.email);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/has not verified[^\n]*\n$/);
      expect(run.out).toBe('');
      expect(await users().findOne({ username: claimant.user.username })).toMatchObject({
        role: 'user',
      });
      expect(
        await t.db.collection('one_time_tokens').countDocuments({
          userId: new Types.ObjectId(claimant.user.id),
          purpose: 'set-password',
        }),
      ).toBe(0);
    });
  });

  describe('api-keys', () => {
    it('creates a key printed once, lists it without its secret, and revokes it', async () => {
      const created = await cli(
        'api-keys',
        'create',
        '--name',
        'billing backend',
        '--scope',
        'users:read',
        '--scope',
        'admin',
      );
      expect(created.code).toBe(0);
      const key = /^ak_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/m.exec(created.out)![0];
      const id = key.slice(3, 19);
      const stored = await t.db.collection('api_keys').findOne({ _id: id as never });
      expect(stored).toMatchObject({
        name: 'billing backend',
        scopes: ['users:read', 'admin'],
        createdBy: { kind: 'cli' },
      });
      expect(JSON.stringify(stored)).not.toContain(key.slice(-43));
      const [event] = (await eventsOf('api_key.created')).filter(
        ({ details }) => details.apiKeyId === id,
      );
      expect(event.actor).toEqual({ kind: 'cli' });

      await request(t.http).get('/admin/api-keys').set(bearer(key)).expect(200);

      const listed = await cli('api-keys', 'list');
      expect(listed.code).toBe(0);
      expect(listed.out).toMatch(
        new RegExp(`^${id}\\s+billing backend\\s+users:read,admin\\s`, 'm'),
      );
      expect(listed.out).toMatch(/\blive\b/);
      expect(listed.out).not.toContain(key.slice(-43));

      const revoked = await cli('api-keys', 'revoke', id);
      expect(revoked).toMatchObject({ code: 0, out: `Revoked the API key ${id}.\n` });
      await request(t.http).get('/admin/api-keys').set(bearer(key)).expect(401);
      expect((await cli('api-keys', 'list')).out).toMatch(new RegExp(`^${id}.*revoked`, 'm'));
      const [revocation] = (await eventsOf('api_key.revoked')).filter(
        ({ details }) => details.apiKeyId === id,
      );
      expect(revocation.actor).toEqual({ kind: 'cli' });
    });

    it('fails with exit code 1 for an unknown key id, and a name it cannot take', async () => {
      const unknown = await cli('api-keys', 'revoke', 'ffffffffffffffff');
      expect(unknown).toMatchObject({
        code: 1,
        err: 'There is no API key with the id ffffffffffffffff.\n',
      });
      const badName = await cli('api-keys', 'create', '--name', ' ', '--scope', 'admin');
      expect(badName.code).toBe(1);
      expect(badName.err).toMatch(/^name must be 1 to 100 characters/);
    });
  });

  describe('users', () => {
    it('finds accounts by id, and by the start of their email or username', async () => {
      const person = await register(t.http, newAccount({ username: `finder${Date.now()}` }));
      const byEmail = await cli('users', 'find', person.account.email.slice(0, 20).toUpperCase());
      expect(byEmail.code).toBe(0);
      expect(byEmail.out).toMatch(/^ID\s+EMAIL\s+USERNAME\s+ROLE\s+STATUS\s+CREATED/);
      expect(byEmail.out).toContain(person.user.id);
      expect((await cli('users', 'find', person.user.username)).out).toContain(person.user.id);
      // A part from the middle of the email is no match.
      const middle = await cli('users', 'find', person.account.email.slice(6, 20));
      expect(middle).toMatchObject({ code: 1, out: '' });
      expect((await cli('users', 'find', person.user.id)).out).toContain(person.account.email);

      const none = await cli('users', 'find', 'nobody-at-all');
      expect(none).toMatchObject({ code: 1, out: '', err: 'No account matches nobody-at-all.\n' });
    });

    it('disables an account (its sessions end) and enables it again', async () => {
      const person = await register(t.http);
      const _id = new Types.ObjectId(person.user.id);
      const disabled = await cli('users', 'disable', person.account.email);
      expect(disabled.code).toBe(0);
      expect(disabled.out).toContain(`Disabled ${person.user.username}`);
      expect(await users().findOne({ _id })).toMatchObject({ disabled: true });
      await request(t.http).get('/me').set('Cookie', person.cookie).expect(401);
      expect((await cli('users', 'find', person.user.id)).out).toMatch(/\bdisabled\b/);
      expect((await cli('users', 'disable', person.user.id)).out).toContain('Already disabled');

      const enabled = await cli('users', 'enable', person.user.username);
      expect(enabled.code).toBe(0);
      expect(enabled.out).toContain(`Enabled ${person.user.username}`);
      expect(await users().findOne({ _id })).toMatchObject({ disabled: false });
      expect((await cli('users', 'enable', person.user.id)).out).toContain('Not disabled');

      // Once each: disabling or enabling again changed nothing, so recorded nothing.
      expect(await eventsOf('user.disabled', _id)).toEqual([
        expect.objectContaining({ actor: { kind: 'cli' } }),
      ]);
      expect(await eventsOf('user.enabled', _id)).toEqual([
        expect.objectContaining({ actor: { kind: 'cli' } }),
      ]);
    });

    it('deletes an account; the notice it causes is delivered by the running service', async () => {
      const person = await verifiedAccount();
      const run = await cli('users', 'delete', person.user.id);
      expect(run.code).toBe(0);
      expect(run.out).toBe(
        `Deleted ${person.user.username} <${person.account.email}> (id ${person.user.id}).\n`,
      );
      expect(await users().findOne({ _id: person._id })).toBeNull();
      expect(await t.db.collection('sessions').countDocuments({ userId: person._id })).toBe(0);
      await request(t.http).get('/me').set('Cookie', person.cookie).expect(401);
      const [event] = await eventsOf('user.deleted', person._id);
      expect(event.actor).toEqual({ kind: 'cli' });

      // The CLI left it in the outbox; the app's relay sends it (after the registration's message).
      await mail.next(person.account.email, 2);
      expect(mail.to(person.account.email).map(({ subject }) => subject)).toContainEqual(
        expect.stringMatching(/^Your account was deleted/),
      );
    });

    it('fails with exit code 1 for an account that does not exist', async () => {
      const run = await cli('users', 'delete', 'nobody@example.test');
      expect(run).toMatchObject({
        code: 1,
        out: '',
        err: 'No account has the id, email or username nobody@example.test.\n',
      });
    });
  });

  it('rotate-keys adds a signing key, recorded as done by the CLI', async () => {
    const run = await cli('rotate-keys');
    expect(run.code).toBe(0);
    const kid = /^Added signing key ([\w-]{22});/.exec(run.out)![1];
    expect(await t.db.collection('oidc_signing_keys').countDocuments({ _id: kid as never })).toBe(
      1,
    );
    const [event] = await eventsOf('signing_key.rotated');
    expect(event).toMatchObject({ actor: { kind: 'cli' }, details: { added: kid } });
  });
});
