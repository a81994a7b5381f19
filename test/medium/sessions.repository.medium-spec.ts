import { MongooseModule } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { Session, SessionSchema } from '../../src/sign-in/sessions/session.schema';
import { SessionsRepository, newPublicId } from '../../src/sign-in/sessions/sessions.repository';
import { WriteBatches } from '../../src/platform/database/write-batches';
import { User } from '../../src/users/schemas/user.schema';
import { UsersModule } from '../../src/users/users.module';
import { UsersRepository } from '../../src/users/users.repository';
import { databaseTestModule, DatabaseTestModule } from '../support/database-module';

/** SessionsRepository's single operations, against the real database. */
describe('SessionsRepository', () => {
  let fixture: DatabaseTestModule;
  let sessions: SessionsRepository;
  let users: UsersRepository;
  let batches: WriteBatches;

  beforeAll(async () => {
    fixture = await databaseTestModule({
      imports: [
        UsersModule,
        MongooseModule.forFeature([{ name: Session.name, schema: SessionSchema }]),
      ],
      providers: [SessionsRepository],
    });
    sessions = fixture.module.get(SessionsRepository);
    users = fixture.module.get(UsersRepository);
    batches = fixture.module.get(WriteBatches);
  });
  afterAll(() => fixture?.close());

  const join = (as: string) => users.lookupById('userId', as);
  const HOUR = 3600_000;
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${++counter}-${Date.now()}`;

  async function newUser(): Promise<User> {
    const name = unique('member');
    return users.create({ usernameBase: name, email: `${name}@example.test` });
  }

  /** A session of `userId` stored through its insert, as a sign-in writes it. */
  async function stored(userId: Types.ObjectId, fields: Partial<Session> = {}): Promise<Session> {
    const now = new Date();
    const { session, write } = sessions.building({
      _id: unique('id'),
      publicId: newPublicId(),
      tokenHash: unique('hash'),
      userId,
      createdAt: now,
      authenticatedAt: now,
      method: 'password',
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + HOUR),
      absoluteExpiresAt: new Date(now.getTime() + 2 * HOUR),
      ...fields,
    });
    await batches.write([write]);
    return session;
  }

  it('finds a live session by its token with its account in one query; not an expired one', async () => {
    const user = await newUser();
    const live = await stored(user._id);
    const found = await sessions.findLiveByToken<User>(live.tokenHash, new Date(), join);
    expect(found?.session._id).toBe(live._id);
    expect(found?.joined.map(({ _id }) => _id.toHexString())).toEqual([user._id.toHexString()]);

    const expired = await stored(user._id, { expiresAt: new Date(Date.now() - 1000) });
    expect(await sessions.findLiveByToken(expired.tokenHash, new Date(), join)).toBeUndefined();
  });

  it('stores the record its schema would: no field left undefined, nothing to cast', async () => {
    const user = await newUser();
    const session = await stored(user._id, { provider: undefined, userAgent: 'Agent/1.0' });
    const record = await fixture.db.collection('sessions').findOne({ _id: session._id } as never);
    expect(record).not.toHaveProperty('provider');
    const Model = fixture.db.model<Session>(Session.name);
    const built = new Model(record);
    await expect(built.validate()).resolves.toBeUndefined();
    expect(built.toObject({ depopulate: true, virtuals: false, transform: false })).toEqual(record);
  });

  it('replaces a token once when two requests present the same one at once', async () => {
    const user = await newUser();
    const session = await stored(user._id);
    const now = new Date();
    const replacements = await Promise.all(
      ['a', 'b', 'c'].map((tag) =>
        sessions.replaceToken(
          session._id,
          { current: session.tokenHash },
          {
            tokenHash: unique(tag),
            previous: {
              tokenHash: session.tokenHash,
              validUntil: new Date(now.getTime() + 30_000),
              authenticatedAt: session.authenticatedAt,
            },
          },
        ),
      ),
    );
    expect(replacements.filter(Boolean)).toHaveLength(1);
    // The replaced token still finds the session during its grace, and only then.
    const previous = await sessions.findLiveByPreviousToken(session.tokenHash, now, join);
    expect(previous?.session._id).toBe(session._id);
    const later = new Date(now.getTime() + 31_000);
    expect(await sessions.findLiveByPreviousToken(session.tokenHash, later, join)).toBeUndefined();
  });

  it('after a security event keeps no earlier token, and records the proof', async () => {
    const user = await newUser();
    const session = await stored(user._id, { method: 'provider', provider: 'google' });
    const authenticatedAt = new Date();
    const replaced = await sessions.replaceToken(
      session._id,
      { current: session.tokenHash },
      { tokenHash: unique('new'), proof: { authenticatedAt, method: 'password' } },
    );
    expect(replaced).toBe(true);
    const record = await fixture.db.collection('sessions').findOne({ _id: session._id } as never);
    expect(record).toMatchObject({ method: 'password', authenticatedAt });
    expect(record).not.toHaveProperty('provider');
    expect(record).not.toHaveProperty('previousTokenHash');
    expect(await sessions.findLiveByToken(session.tokenHash, new Date(), join)).toBeUndefined();
  });

  it("records a fresh proof without keeping the earlier sign-in's provider, passkey or second factor", async () => {
    const user = await newUser();
    const session = await stored(user._id, {
      method: 'provider',
      provider: 'google',
      secondFactor: 'totp',
    });
    const authenticatedAt = new Date();
    await sessions.recordProof(session._id, { authenticatedAt, method: 'password' });
    const record = await fixture.db.collection('sessions').findOne({ _id: session._id } as never);
    expect(record).toMatchObject({
      method: 'password',
      authenticatedAt,
      tokenHash: session.tokenHash,
    });
    expect(record).not.toHaveProperty('provider');
    expect(record).not.toHaveProperty('secondFactor');
  });

  it('deletes by the current or the replaced token, and says whose it was', async () => {
    const user = await newUser();
    const session = await stored(user._id, {
      previousTokenHash: unique('old'),
      previousValidUntil: new Date(Date.now() + 30_000),
    });
    const owner = await sessions.deleteByToken(session.previousTokenHash!);
    expect(owner?.toHexString()).toBe(user._id.toHexString());
    expect(await sessions.deleteByToken(session.tokenHash)).toBeUndefined();
  });

  it("ends the account's sessions that signed in one way (and older ones), keeping the one asked", async () => {
    const user = await newUser();
    const other = await newUser();
    const keep = await stored(user._id, { method: 'provider', provider: 'google' });
    await stored(user._id, { method: 'provider', provider: 'google' });
    await stored(user._id, { method: undefined });
    const byGitHub = await stored(user._id, { method: 'provider', provider: 'github' });
    const byPassword = await stored(user._id, { method: 'password' });
    const othersSession = await stored(other._id, { method: 'provider', provider: 'google' });

    const ended = await sessions.deleteOfUser(user._id, {
      except: keep._id,
      signedInWith: { method: 'provider', provider: 'google' },
    });
    expect(ended).toBe(2);
    const left = (await sessions.findLive(user._id, new Date())).map(({ _id }) => _id).sort();
    expect(left).toEqual([keep._id, byGitHub._id, byPassword._id].sort());
    expect(await sessions.countLive(other._id, new Date())).toBe(1);

    expect(await sessions.deleteOfUser(user._id)).toBe(3);
    expect(await sessions.countLive(user._id, new Date())).toBe(0);
    expect(
      await sessions.deleteLiveByPublicId(other._id, othersSession.publicId!, new Date()),
    ).toMatchObject({
      _id: othersSession._id,
    });
  });

  it('gives sessions without a public id one, once, even when asked twice at once', async () => {
    const user = await newUser();
    const legacy = await stored(user._id);
    await fixture.db
      .collection('sessions')
      .updateOne({ _id: legacy._id } as never, { $unset: { publicId: 1 } });
    const assigned = await Promise.all([
      sessions.assignPublicIds({ userId: user._id }),
      sessions.assignPublicIds({ userId: user._id }),
    ]);
    expect(assigned[0] + assigned[1]).toBe(1);
    const [listed] = await sessions.findLive(user._id, new Date());
    expect(listed.publicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
