import { Types } from 'mongoose';
import request from 'supertest';
import { SignInRecord } from '../../src/sign-in/sign-in-record';
import { SignInWrites } from '../../src/sign-in/sign-in-writes';
import { ServerFeatures } from '../../src/platform/database/server-features';
import { Transactions } from '../../src/platform/database/transactions';
import { WriteBatches } from '../../src/platform/database/write-batches';
import { EventsService } from '../../src/audit/events/events.service';
import { AccountEvent } from '../../src/audit/events/event.schema';
import { Session } from '../../src/sign-in/sessions/session.schema';
import { User } from '../../src/users/schemas/user.schema';
import { UsersRepository } from '../../src/users/users.repository';
import { GOOD_PASSWORD, newAccount, register, sessionCookie } from '../support/accounts';
import { testServerUri, withDatabase } from '../support/mongo-uri';
import { newIdentity, SocialWorld, startSocialWorld } from '../support/social';
import { commandsDuring } from '../support/commands';
import { createTestApp, newDatabaseName, TestApp } from '../support/test-app';
import { EventsConfig, eventsConfig } from '../../src/audit/events/events-config';

const WRONG_PASSWORD = 'not the right passphrase at all';

/** The app's connection reports every command it sends (test-only: it costs a little per command). */
function monitoredApp(overrides: { provide: unknown; useValue: unknown }[] = []): Promise<TestApp> {
  const database = newDatabaseName();
  return createTestApp({
    database,
    overrides,
    env: {
      MONGODB_URI: `${withDatabase(testServerUri(), database)}&monitorCommands=true`,
      // Two free failures, the third locks: a success that did not set them back would show.
      SIGN_IN_FREE_FAILURES: '2',
      SIGN_IN_LOCK_AFTER_FAILURES: '3',
    },
  });
}

/**
 * What a password sign-in sends before the password is known to match: the client's count, and the
 * account found by its login with its check admitted, in one update.
 */
const CHECKS = ['findAndModify rate_limits', 'findAndModify users'];

describe.each([
  {
    server: 'with the bulkWrite command (MongoDB 8.0+)',
    overrides: [],
    writes: ['bulkWrite users, events, sessions'],
    unrecordedWrites: ['bulkWrite sign_in_failures, events, sessions, users'],
  },
  {
    server: 'without it (older servers)',
    overrides: [
      { provide: ServerFeatures, useValue: { clientBulkWrite: () => Promise.resolve(false) } },
    ],
    writes: ['update users', 'insert events', 'insert sessions', 'update users'],
    unrecordedWrites: [
      'update sign_in_failures',
      'insert events',
      'insert sessions',
      'update users',
    ],
  },
])(
  'a password sign-in’s writes, on a server $server',
  ({ overrides, writes, unrecordedWrites }) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await monitoredApp(overrides);
    });
    afterAll(() => t.close());

    const users = () => t.db.collection('users');
    const signIn = (login: string, password: string) =>
      request(t.http).post('/auth/login').send({ login, password });

    it('are sent as the commands expected after the checks, and all of them take effect', async () => {
      const { account, user } = await register(t.http, newAccount());
      // The first check of an account creates its records of checks: a few commands more, once.
      await signIn(account.email, GOOD_PASSWORD).expect(200);
      let response!: request.Response;
      const commands = await commandsDuring(t, async () => {
        response = await signIn(account.email, GOOD_PASSWORD).set('User-Agent', 'Batch Test/1.0');
      });
      expect(response.status).toBe(200);
      expect(commands).toEqual([...CHECKS, ...writes]);

      const cookie = sessionCookie(response);
      const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.id).toBe(user.id);
      const sessions = await request(t.http).get('/me/sessions').set('Cookie', cookie).expect(200);
      expect(JSON.stringify(sessions.body)).toContain('Batch Test/1.0');
      const events = await request(t.http).get('/me/events').set('Cookie', cookie).expect(200);
      expect(events.body[0]).toMatchObject({
        type: 'sign_in.succeeded',
        details: { method: 'password' },
        userAgent: 'Batch Test/1.0',
      });
      // Stored as EventsService.record stores one: cast, with its actor and retention.
      const event = await t.db
        .collection('events')
        .findOne(
          { userId: new Types.ObjectId(user.id), type: 'sign_in.succeeded' },
          { sort: { _id: -1 } },
        );
      expect(event).toEqual({
        _id: expect.any(Types.ObjectId),
        type: 'sign_in.succeeded',
        userId: new Types.ObjectId(user.id),
        details: { method: 'password' },
        actor: { kind: 'user', id: user.id },
        ip: expect.any(String),
        userAgent: 'Batch Test/1.0',
        at: expect.any(Date),
        expiresAt: expect.any(Date),
      });
      const retentionMs =
        t.app.get<EventsConfig>(eventsConfig.KEY).EVENTS_RETENTION_DAYS * 24 * 3600 * 1000;
      const { at, expiresAt } = event as unknown as { at: Date; expiresAt: Date };
      expect(expiresAt.getTime() - at.getTime()).toBe(retentionMs);
      // Built as plain documents: as their schemas would have them, casts and all.
      const session = await t.db.collection('sessions').findOne({}, { sort: { createdAt: -1 } });
      for (const [model, stored] of [
        [Session.name, session],
        [AccountEvent.name, event],
      ] as const) {
        const Model = t.db.model<unknown>(model);
        const built = new Model(stored);
        await expect(built.validate()).resolves.toBeUndefined();
        expect(built.toObject({ depopulate: true, virtuals: false, transform: false })).toEqual(
          stored,
        );
      }
      const stored = await users().findOne({ _id: new Types.ObjectId(user.id) });
      expect(stored?.lastSignInAt).toBeInstanceOf(Date);
      expect(Date.now() - (stored?.lastSignInAt as Date).getTime()).toBeLessThan(60_000);
    });

    it('set the failures back to zero: the free failures are free again after a success', async () => {
      const { account } = await register(t.http, newAccount());
      await signIn(account.email, WRONG_PASSWORD).expect(401);
      await signIn(account.email, WRONG_PASSWORD).expect(401);
      await signIn(account.email, GOOD_PASSWORD).expect(200);
      // Without the reset, the third failure in a row would lock the account (429).
      await signIn(account.email, WRONG_PASSWORD).expect(401);
      await signIn(account.email, WRONG_PASSWORD).expect(401);
      await signIn(account.email, GOOD_PASSWORD).expect(200);
    });

    it('refuses a disabled account with 403 ACCOUNT_DISABLED and starts no session', async () => {
      const { account, user } = await register(t.http, newAccount());
      const _id = new Types.ObjectId(user.id);
      await users().updateOne({ _id }, { $set: { disabled: true } });
      // Disabled by hand: the registration's session stays in the database (no request accepts it).
      const sessionsBefore = await t.db.collection('sessions').countDocuments({ userId: _id });
      const refused = await signIn(account.email, GOOD_PASSWORD).expect(403);
      expect(refused.body.error.code).toBe('ACCOUNT_DISABLED');
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(await t.db.collection('sessions').countDocuments({ userId: _id })).toBe(
        sessionsBefore,
      );
    });

    it('leave no session when the account was disabled between the check and the writes', async () => {
      const { user } = await register(t.http, newAccount());
      const _id = new Types.ObjectId(user.id);
      // The account as the password check read it, before it was disabled.
      const checked = (await t.app.get(UsersRepository).findById(_id)) as User;
      await users().updateOne({ _id }, { $set: { disabled: true } });
      const sessionsBefore = await t.db.collection('sessions').countDocuments({ userId: _id });
      const lastSignInBefore = (await users().findOne({ _id }))?.lastSignInAt as Date;

      await expect(
        t.app.get(SignInWrites).write(new SignInRecord(checked, { method: 'password' }), {}),
      ).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });
      expect(await t.db.collection('sessions').countDocuments({ userId: _id })).toBe(
        sessionsBefore,
      );
      expect((await users().findOne({ _id }))?.lastSignInAt).toEqual(lastSignInBefore);
    });

    it('join the transaction they are sent in, and are undone with it', async () => {
      const { user } = await register(t.http, newAccount());
      const _id = new Types.ObjectId(user.id);
      const lastSignInBefore = (await users().findOne({ _id }))?.lastSignInAt as Date;
      const events = () => t.db.collection('events').countDocuments({ userId: _id });
      const eventsBefore = await events();

      await expect(
        t.app.get(Transactions).run(async () => {
          await t.app.get(WriteBatches).write([
            t.app.get(EventsService).recording({
              type: 'sign_in.succeeded',
              userId: _id,
              details: { method: 'password' },
            }),
            t.app.get(UsersRepository).recordingSignIn(_id),
          ]);
          throw new Error('something after the writes failed');
        }),
      ).rejects.toThrow('something after the writes failed');
      expect(await events()).toBe(eventsBefore);
      expect((await users().findOne({ _id }))?.lastSignInAt).toEqual(lastSignInBefore);
    });

    it('let the owner of a record the validator refuses sign in, unrecorded', async () => {
      const { account, user } = await register(t.http, newAccount());
      const _id = new Types.ObjectId(user.id);
      // Edited by hand past the validator (an email in capitals): it accepts no update now. The
      // owner signs in by username (an email in capitals is another address).
      const email = account.email.toUpperCase();
      await users().updateOne({ _id }, { $set: { email } }, { bypassDocumentValidation: true });
      const before = (await users().findOne({ _id }))?.lastSignInAt as Date;

      let response!: request.Response;
      const commands = await commandsDuring(t, async () => {
        response = await signIn(user.username, GOOD_PASSWORD);
      });
      expect(response.status).toBe(200);
      // The record refused the check's count too: it went to sign_in_failures, as for a login (the
      // first such check creates its record there).
      expect(commands.slice(0, 3)).toEqual([...CHECKS, 'find users']);
      const afterTheCheck = commands.lastIndexOf('findAndModify sign_in_failures') + 1;
      expect(afterTheCheck).toBeGreaterThan(3);
      // The refused update came last: the session and the event were written all the same.
      expect(commands.slice(afterTheCheck, afterTheCheck + unrecordedWrites.length)).toEqual(
        unrecordedWrites,
      );
      const cookie = sessionCookie(response);
      await request(t.http).get('/me').set('Cookie', cookie).expect(200);
      const events = await request(t.http).get('/me/events').set('Cookie', cookie).expect(200);
      expect(events.body[0].type).toBe('sign_in.succeeded');
      expect((await users().findOne({ _id }))?.lastSignInAt).toEqual(before);
    });
  },
);

describe('a provider sign-in’s writes', () => {
  let world: SocialWorld;
  beforeAll(async () => {
    world = await startSocialWorld({
      MONGODB_URI: `${withDatabase(testServerUri(), newDatabaseName())}&monitorCommands=true`,
    });
  });
  afterAll(() => world.close());

  it('go in one bulkWrite once the provider vouched: the event, the session and lastSignInAt', async () => {
    const github = world.provider('github');
    const identity = newIdentity();
    const first = await world.browser().signIn(github, identity);
    expect(first.body.action).toBe('registered');

    const browser = world.browser();
    const callback = await browser.authorize(github, identity);
    let response!: request.Response;
    const commands = await commandsDuring(world.t, async () => {
      response = await browser.callback(callback);
    });
    expect(response.status).toBe(200);
    expect(response.body.action).toBe('signed-in');
    expect(commands.filter((command) => command.startsWith('bulkWrite'))).toEqual([
      'bulkWrite events, sessions, users',
    ]);
    const events = await browser.agent.get('/me/events').expect(200);
    expect(events.body[0]).toMatchObject({
      type: 'sign_in.succeeded',
      details: { method: 'provider', provider: 'github' },
    });
    const stored = await world.t.db
      .collection('users')
      .findOne({ _id: new Types.ObjectId(first.body.user.id as string) });
    expect(stored?.lastSignInAt).toEqual(expect.any(Date));
  });
});
