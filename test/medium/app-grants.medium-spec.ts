import { randomBytes } from 'node:crypto';
import { AppGrants } from '../../src/openid/storage/app-grants';
import { collectionName, hashOf, MongoAdapter } from '../../src/openid/storage/mongo-adapter';
import { PROVIDER_MODELS } from '../../src/openid/storage/provider-records';
import { databaseTestModule, DatabaseTestModule } from '../support/database-module';

/** AppGrants (the apps with access of an account) on the provider's records, against the real database. */
describe('AppGrants', () => {
  let fixture: DatabaseTestModule;
  let grants: AppGrants;

  beforeAll(async () => {
    fixture = await databaseTestModule({ providers: [AppGrants] });
    grants = fixture.module.get(AppGrants);
    await MongoAdapter.ensureIndexes(fixture.db.db!, PROVIDER_MODELS);
  });
  afterAll(() => fixture?.close());

  const adapter = (model: string) =>
    new MongoAdapter(model, fixture.db.db!, () => Promise.resolve(), randomBytes(32));
  const newId = () => randomBytes(16).toString('base64url');
  const account = () => randomBytes(12).toString('hex');
  const SECOND = 1000;

  /** A grant as the provider saves it (through MongoAdapter); returns its id. */
  async function grant(
    accountId: string,
    clientId: string,
    { scope = 'openid', resources, iat = Math.floor(Date.now() / SECOND), ttl = 3600 } = {} as {
      scope?: string;
      resources?: Record<string, string>;
      iat?: number;
      ttl?: number;
    },
  ): Promise<string> {
    const id = newId();
    await adapter('Grant').upsert(
      id,
      { accountId, clientId, openid: { scope }, resources, iat, exp: iat + ttl, kind: 'Grant' },
      ttl,
    );
    return id;
  }

  /** A token issued under `grantId`, as the provider saves it. */
  async function token(model: string, grantId: string, accountId: string, clientId: string) {
    await adapter(model).upsert(newId(), { grantId, accountId, clientId, kind: model }, 3600);
  }

  it("lists an account's apps once each, with their grants' scopes joined, oldest grant and latest use, newest app first", async () => {
    const me = account();
    const now = Math.floor(Date.now() / SECOND);
    const first = await grant(me, 'notes', { scope: 'openid email', iat: now - 300 });
    const second = await grant(me, 'notes', { scope: 'openid profile', iat: now - 100 });
    await grant(me, 'partner', {
      scope: 'openid',
      resources: { 'https://api.example.test': 'orders:read' },
      iat: now - 10,
    });
    await grant(account(), 'other-account-app');
    // Expired, not yet removed by the TTL monitor: not listed.
    await fixture.db
      .collection(collectionName('Grant'))
      .updateOne({ _id: hashOf(await grant(me, 'gone')) } as never, {
        $set: { expiresAt: new Date(Date.now() - SECOND) },
      });

    await grants.used(first, new Date((now - 50) * SECOND));
    await grants.used(second, new Date((now - 20) * SECOND));
    // An earlier use recorded later does not move it back.
    await grants.used(second, new Date((now - 200) * SECOND));

    expect(await grants.ofAccount(me)).toEqual([
      {
        clientId: 'partner',
        scopes: ['openid', 'orders:read'],
        grantedAt: new Date((now - 10) * SECOND),
        lastUsedAt: null,
      },
      {
        clientId: 'notes',
        scopes: ['openid', 'email', 'profile'],
        grantedAt: new Date((now - 300) * SECOND),
        lastUsedAt: new Date((now - 20) * SECOND),
      },
    ]);
  });

  it('joins what the account consented to for an app across its grants, and nothing for an app without one', async () => {
    const me = account();
    await grant(me, 'partner', { scope: 'openid email' });
    await grant(me, 'partner', {
      scope: 'openid profile',
      resources: { 'https://api.example.test': 'orders:read' },
    });
    await grant(me, 'notes', { scope: 'openid data' });
    expect(await grants.consented(me, 'partner')).toEqual({
      openidScope: 'openid email profile',
      claims: [],
      resources: { 'https://api.example.test': 'orders:read' },
    });
    expect(await grants.consented(me, 'unknown')).toBeUndefined();
    expect(await grants.consented(account(), 'partner')).toBeUndefined();
  });

  it("revokes an app's grants once under parallel removals, and deletes only what was issued to that app for that account", async () => {
    const me = account();
    const someone = account();
    const mine = await grant(me, 'partner');
    const theirs = await grant(someone, 'partner');
    const notes = await grant(me, 'notes');
    await token('AccessToken', mine, me, 'partner');
    await token('RefreshToken', mine, me, 'partner');
    await token('AccessToken', theirs, someone, 'partner');
    await token('AccessToken', notes, me, 'notes');

    const results = await Promise.all([
      grants.revokeGrants(me, 'partner'),
      grants.revokeGrants(me, 'partner'),
    ]);
    expect(results.sort()).toEqual([false, true]);
    await grants.deleteIssued(me, 'partner');

    const count = (model: string, filter: Record<string, string>) =>
      fixture.db
        .collection(collectionName(model))
        .countDocuments(
          Object.fromEntries(
            Object.entries(filter).map(([key, value]) => [`payload.${key}`, value]),
          ),
        );
    expect(await count('Grant', { accountId: me, clientId: 'partner' })).toBe(0);
    expect(await count('AccessToken', { accountId: me, clientId: 'partner' })).toBe(0);
    expect(await count('RefreshToken', { accountId: me, clientId: 'partner' })).toBe(0);
    expect(await count('Grant', { accountId: someone, clientId: 'partner' })).toBe(1);
    expect(await count('AccessToken', { accountId: someone, clientId: 'partner' })).toBe(1);
    expect(await count('Grant', { accountId: me, clientId: 'notes' })).toBe(1);
    expect(await count('AccessToken', { accountId: me, clientId: 'notes' })).toBe(1);
  });
});
