import { Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { newAccount, register, sessionCookie } from '../support/accounts';
import { AppWithMail, appWithMail } from '../support/fixtures';
import { totpCodeOf } from '../../src/sign-in/two-step/totp';
import { Forgery, SoftAuthenticator } from '../support/webauthn';
import { parse, WebhookReceiver } from '../support/webhook-receiver';

const METRICS_TOKEN = 'metrics-token-of-at-least-32-characters';

/** Creation or request options as the API gives them (creation options carry `rp` and `user`). */
interface CeremonyOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: Array<{ id: string }>;
  allowCredentials?: Array<{ id: string }>;
}

/** What the API answers with for a passkey (and nothing else). */
const PASSKEY_VIEW_KEYS = ['backedUp', 'createdAt', 'id', 'lastUsedAt', 'name', 'transports'];

describe('passkeys', () => {
  let fixture: AppWithMail;
  let receiver: WebhookReceiver;
  const http = () => fixture.t.http;
  const users = () => fixture.t.db.collection('users');
  const stored = (id: string) => users().findOne({ _id: new Types.ObjectId(id) });
  /** Every challenge the options gave, to check no other answer shows one. */
  const challenges: string[] = [];
  /** The bodies of every answer but the options, as text. */
  const answers: string[] = [];

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    fixture = await appWithMail({
      env: {
        METRICS_TOKEN,
        WEBHOOK_URLS: receiver.url,
        WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await receiver?.stop();
  });

  function noted(response: request.Response): request.Response {
    answers.push(JSON.stringify(response.body));
    return response;
  }

  async function options(path: string, cookie?: string, body: object = {}) {
    const call = request(http()).post(path).send(body);
    if (cookie) call.set('Cookie', cookie);
    const response = await call.expect(200);
    const given = response.body as CeremonyOptions;
    challenges.push(given.challenge);
    return given;
  }

  /** A password account signed in, with its own authenticator. */
  async function member({ verified = false } = {}) {
    const { cookie, user, account } = await register(http());
    if (verified) {
      await users().updateOne(
        { _id: new Types.ObjectId(user.id) },
        { $set: { emailVerified: true } },
      );
    }
    return { cookie, user, account, authenticator: new SoftAuthenticator() };
  }

  async function addPasskey(
    cookie: string,
    authenticator: SoftAuthenticator,
    { name, forgery }: { name?: string; forgery?: Forgery } = {},
  ) {
    const created = authenticator.create(await options('/me/passkeys/options', cookie), forgery);
    return noted(
      await request(http())
        .post('/me/passkeys')
        .set('Cookie', cookie)
        .send({ response: created, ...(name !== undefined && { name }) }),
    );
  }

  /** POST /auth/passkey with an assertion to fresh options. */
  async function passkeySignIn(
    authenticator: SoftAuthenticator,
    forgery: Forgery = {},
    credential = authenticator.last(),
  ) {
    const assertion = authenticator.get(
      await options('/auth/passkey/options'),
      credential,
      forgery,
    );
    return noted(await request(http()).post('/auth/passkey').send({ response: assertion }));
  }

  /** A new account signed up with a passkey alone. */
  async function passkeyAccount() {
    const authenticator = new SoftAuthenticator();
    const { email } = newAccount();
    const created = authenticator.create(
      await options('/auth/register/passkey/options', undefined, { email }),
    );
    const response = noted(
      await request(http())
        .post('/auth/register/passkey')
        .send({ response: created, name: 'Phone' })
        .expect(201),
    );
    return {
      authenticator,
      email,
      cookie: sessionCookie(response),
      user: response.body.user as { id: string },
    };
  }

  const expectError = (response: request.Response, status: number, code: string) => {
    expect({ status: response.status, code: response.body.error?.code }).toEqual({
      status,
      code,
    });
  };

  describe('adding one', () => {
    it('adds a passkey: 201 with its public view, GET /me counts it, the address hears of it', async () => {
      const { cookie, user, account, authenticator } = await member({ verified: true });
      const response = await addPasskey(cookie, authenticator, { name: 'Laptop' });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body.passkey).sort()).toEqual(PASSKEY_VIEW_KEYS);
      expect(response.body.passkey).toMatchObject({
        name: 'Laptop',
        lastUsedAt: null,
        backedUp: false,
        transports: ['internal', 'hybrid'],
      });
      const record = await stored(user.id);
      expect(record?.passkeys).toEqual([
        expect.objectContaining({
          id: response.body.passkey.id,
          credentialId: authenticator.last().id,
          counter: 0,
          deviceType: 'singleDevice',
        }),
      ]);
      expect(record?.webauthnUserId).toEqual(expect.stringMatching(/^[\w-]{43}$/));
      expect(record?.webauthnUserId).not.toContain(user.id);

      const me = await request(http()).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user.passkeys).toBe(1);
      const listed = await request(http()).get('/me/passkeys').set('Cookie', cookie).expect(200);
      expect(listed.body).toEqual({ passkeys: [response.body.passkey] });

      // The registration's verification link came first.
      const notice = await fixture.mail.next(account.email, 2);
      expect(notice.subject).toMatch(/^A passkey was added/);
      expect(notice.text).toContain('"Laptop"');
      const events = await fixture.t.db
        .collection('events')
        .find({ userId: new Types.ObjectId(user.id), type: 'passkey.added' })
        .toArray();
      expect(events).toHaveLength(1);
      const [updated] = await receiver.waitFor((webhook) => {
        const { type, data } = parse(webhook);
        return type === 'user.updated' && data.id === user.id;
      });
      expect(parse(updated).data).toMatchObject({ passkeys: 1 });
    });

    it('gives creation options with the relying party, an opaque user handle, and the passkeys to exclude', async () => {
      const { cookie, user, authenticator } = await member();
      const first = await options('/me/passkeys/options', cookie);
      expect(first).toMatchObject({
        rp: { id: 'localhost', name: fixture.t.config.APP_NAME },
        attestation: 'none',
        authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
        excludeCredentials: [],
        timeout: 300_000,
        // EdDSA, ES256, RS256: not ML-DSA, which Node 24's Web Crypto has as experimental.
        pubKeyCredParams: [-8, -7, -257].map((alg) => ({ alg, type: 'public-key' })),
      });
      expect(Buffer.from(first.user.id, 'base64url').toString('latin1')).not.toContain(user.id);
      await addPasskey(cookie, authenticator);
      const second = await options('/me/passkeys/options', cookie);
      expect(second.user.id).toBe(first.user.id);
      expect(second.excludeCredentials?.map(({ id }) => id)).toEqual([authenticator.last().id]);
    });

    it('needs a recent sign-in to ask for options and to add', async () => {
      const { cookie, user, authenticator } = await member();
      const created = authenticator.create(await options('/me/passkeys/options', cookie));
      await fixture.t.db
        .collection('sessions')
        .updateMany(
          { userId: new Types.ObjectId(user.id) },
          { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
        );
      const add = await request(http())
        .post('/me/passkeys')
        .set('Cookie', cookie)
        .send({ response: created });
      expectError(add, 401, 'RECENT_SIGN_IN_REQUIRED');
      const again = await request(http()).post('/me/passkeys/options').set('Cookie', cookie);
      expectError(again, 401, 'RECENT_SIGN_IN_REQUIRED');
      expect((await stored(user.id))?.passkeys).toBeUndefined();
    });

    it.each<[string, Forgery]>([
      ['another origin', { origin: 'https://evil.example' }],
      ['another RP ID', { rpId: 'evil.example' }],
      ['no user verification', { noUserVerification: true }],
      ['a challenge never issued', { challenge: 'bm90LWlzc3VlZC1ieS10aGlzLXNlcnZpY2U' }],
    ])(
      'refuses a registration with %s: 400 naming response, nothing stored',
      async (_name, forgery) => {
        const { cookie, user, authenticator } = await member();
        const response = await addPasskey(cookie, authenticator, { forgery });
        expectError(response, 400, 'PASSKEY_REJECTED');
        expect(response.body.error.field).toBe('response');
        expect((await stored(user.id))?.passkeys).toBeUndefined();
      },
    );

    it('uses a challenge once, and only for the account that asked', async () => {
      const { cookie, authenticator } = await member();
      const created = authenticator.create(await options('/me/passkeys/options', cookie));
      const other = await member();
      const stolen = await request(http())
        .post('/me/passkeys')
        .set('Cookie', other.cookie)
        .send({ response: created });
      expectError(stolen, 400, 'PASSKEY_REJECTED');
      // The other account's attempt left the challenge for its own account.
      await request(http())
        .post('/me/passkeys')
        .set('Cookie', cookie)
        .send({ response: created })
        .expect(201);
      const replay = await request(http())
        .post('/me/passkeys')
        .set('Cookie', cookie)
        .send({ response: created });
      expectError(replay, 400, 'PASSKEY_REJECTED');
    });

    it('refuses a passkey registered to another account', async () => {
      const { cookie, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      const other = await member();
      // An authenticator that makes a credential under the id another account registered (its
      // attestation is otherwise valid): only the unique index can tell.
      const created = new SoftAuthenticator().create(
        await options('/me/passkeys/options', other.cookie),
        { credentialId: authenticator.credentials[0].id },
      );
      const response = await request(http())
        .post('/me/passkeys')
        .set('Cookie', other.cookie)
        .send({ response: created });
      expectError(response, 409, 'PASSKEY_ALREADY_REGISTERED');
      expect((await stored(other.user.id))?.passkeys ?? []).toEqual([]);
    });

    it('refuses a body without a response object', async () => {
      const { cookie } = await member();
      const response = await request(http())
        .post('/me/passkeys')
        .set('Cookie', cookie)
        .send({ response: 'text' });
      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.error.field).toBe('response');
    });
  });

  describe('managing them', () => {
    it('renames one; an unknown id is 404, a bad name 400', async () => {
      const { cookie, authenticator } = await member();
      const added = await addPasskey(cookie, authenticator);
      const id = added.body.passkey.id as string;
      expect(added.body.passkey.name).toBe('Passkey');
      const renamed = noted(
        await request(http())
          .patch(`/me/passkeys/${id}`)
          .set('Cookie', cookie)
          .send({ name: '  Work key ' })
          .expect(200),
      );
      expect(renamed.body.passkey).toMatchObject({ id, name: 'Work key' });
      const unknown = await request(http())
        .patch('/me/passkeys/nope')
        .set('Cookie', cookie)
        .send({ name: 'x' });
      expectError(unknown, 404, 'PASSKEY_NOT_FOUND');
      const blank = await request(http())
        .patch(`/me/passkeys/${id}`)
        .set('Cookie', cookie)
        .send({ name: '' });
      expectError(blank, 400, 'VALIDATION_FAILED');
    });

    it("removes one beside the password; another account's is 404", async () => {
      const { cookie, user, account, authenticator } = await member({ verified: true });
      const added = await addPasskey(cookie, authenticator, { name: 'Old phone' });
      const id = added.body.passkey.id as string;
      const other = await member();
      const foreign = await request(http())
        .delete(`/me/passkeys/${id}`)
        .set('Cookie', other.cookie);
      expectError(foreign, 404, 'PASSKEY_NOT_FOUND');
      await request(http()).delete(`/me/passkeys/${id}`).set('Cookie', cookie).expect(204);
      expect((await stored(user.id))?.passkeys).toEqual([]);
      const notice = await fixture.mail.next(account.email, 3);
      expect(notice.subject).toMatch(/^A passkey was removed/);
      expect(
        await fixture.t.db
          .collection('events')
          .countDocuments({ userId: new Types.ObjectId(user.id), type: 'passkey.removed' }),
      ).toBe(1);
      const mine = (webhook: Parameters<typeof parse>[0]) =>
        parse(webhook).type === 'user.updated' && parse(webhook).data.id === user.id;
      const [, removed] = await receiver.waitFor(mine, 2);
      expect(parse(removed).data).toMatchObject({ passkeys: 0 });
      // Its sign-in no longer works.
      expectError(await passkeySignIn(authenticator), 401, 'INVALID_CREDENTIALS');
    });

    it('refuses to remove the last way in: 409 LAST_LOGIN_METHOD', async () => {
      const { cookie, user } = await passkeyAccount();
      const [only] = (await request(http()).get('/me/passkeys').set('Cookie', cookie).expect(200))
        .body.passkeys as Array<{ id: string }>;
      const response = await request(http())
        .delete(`/me/passkeys/${only.id}`)
        .set('Cookie', cookie);
      expectError(response, 409, 'LAST_LOGIN_METHOD');
      expect((await stored(user.id))?.passkeys).toHaveLength(1);
    });

    it('needs a recent sign-in to remove one', async () => {
      const { cookie, user, authenticator } = await member();
      const added = await addPasskey(cookie, authenticator);
      await fixture.t.db
        .collection('sessions')
        .updateMany(
          { userId: new Types.ObjectId(user.id) },
          { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
        );
      const response = await request(http())
        .delete(`/me/passkeys/${added.body.passkey.id}`)
        .set('Cookie', cookie);
      expectError(response, 401, 'RECENT_SIGN_IN_REQUIRED');
    });

    it('removes exactly one of the last two passkeys when both go at once', async () => {
      for (let round = 0; round < 3; round += 1) {
        const { cookie, user, authenticator } = await passkeyAccount();
        const second = new SoftAuthenticator();
        await addPasskey(cookie, second).then((response) => expect(response.status).toBe(201));
        const ids = (
          (await request(http()).get('/me/passkeys').set('Cookie', cookie).expect(200)).body
            .passkeys as Array<{ id: string }>
        ).map(({ id }) => id);
        const results = await Promise.all(
          ids.map((id) => request(http()).delete(`/me/passkeys/${id}`).set('Cookie', cookie)),
        );
        expect(results.map(({ status }) => status).sort()).toEqual([204, 409]);
        expect((await stored(user.id))?.passkeys).toHaveLength(1);
        expect(authenticator.credentials).toHaveLength(1);
      }
    });
  });

  describe('signing in', () => {
    it('gives request options without a credential list, user verification required', async () => {
      const body = await options('/auth/passkey/options');
      expect(body).toMatchObject({
        rpId: 'localhost',
        userVerification: 'required',
        timeout: 300_000,
      });
      expect(body.allowCredentials ?? []).toEqual([]);
    });

    it('signs in: 200 with the session and body of /auth/login, the counter and use recorded', async () => {
      const { cookie, user, account, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      const response = await passkeySignIn(authenticator);
      expect(response.status).toBe(200);
      const login = await request(http())
        .post('/auth/login')
        .send({ login: account.email, password: account.password })
        .expect(200);
      expect(Object.keys(response.body)).toEqual(Object.keys(login.body));
      expect(response.body.user).toEqual({ ...login.body.user });
      const passkeyCookie = sessionCookie(response);
      const me = await request(http()).get('/me').set('Cookie', passkeyCookie).expect(200);
      expect(me.body.user.id).toBe(user.id);
      const session = await fixture.t.db
        .collection('sessions')
        .findOne({ userId: new Types.ObjectId(user.id), method: 'passkey' });
      expect(session).not.toBeNull();
      const [passkey] = (await stored(user.id))!.passkeys;
      expect(passkey.counter).toBe(1);
      expect(passkey.lastUsedAt).toBeInstanceOf(Date);
      // A passkey sign-in is recent: adding another passkey needs nothing more.
      const another = await addPasskey(passkeyCookie, new SoftAuthenticator());
      expect(another.status).toBe(201);
    });

    it.each<[string, Forgery]>([
      ['a bad signature', { badSignature: true }],
      ['another origin', { origin: 'https://evil.example' }],
      ['another RP ID', { rpId: 'evil.example' }],
      ['no user verification', { noUserVerification: true }],
      ['a challenge never issued', { challenge: 'bm90LWlzc3VlZC1ieS10aGlzLXNlcnZpY2U' }],
    ])('refuses %s: 401 INVALID_CREDENTIALS, no session', async (_name, forgery) => {
      const { cookie, user, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      const response = await passkeySignIn(authenticator, forgery);
      expectError(response, 401, 'INVALID_CREDENTIALS');
      expect(response.headers['set-cookie']).toBeUndefined();
      const failed = await fixture.t.db
        .collection('events')
        .countDocuments({ userId: new Types.ObjectId(user.id), type: 'sign_in.failed' });
      expect(failed).toBe(1);
    });

    it('refuses an unknown credential', async () => {
      const stranger = new SoftAuthenticator();
      stranger.create({
        challenge: 'eA',
        rp: { name: 'x' },
        user: { id: 'dXNlcg', name: 'x', displayName: 'x' },
      });
      expectError(await passkeySignIn(stranger), 401, 'INVALID_CREDENTIALS');
    });

    it('refuses a challenge used already, or expired', async () => {
      const { cookie, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      const assertion = authenticator.get(await options('/auth/passkey/options'));
      await request(http()).post('/auth/passkey').send({ response: assertion }).expect(200);
      const replay = await request(http()).post('/auth/passkey').send({ response: assertion });
      expectError(replay, 401, 'INVALID_CREDENTIALS');

      const late = authenticator.get(await options('/auth/passkey/options'));
      // Five minutes pass.
      await fixture.t.db
        .collection('passkey_challenges')
        .updateMany({}, { $set: { expiresAt: new Date(Date.now() - 1000) } });
      const expired = await request(http()).post('/auth/passkey').send({ response: late });
      expectError(expired, 401, 'INVALID_CREDENTIALS');
    });

    it('refuses a counter that goes backwards, and records it', async () => {
      const { cookie, user, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      await passkeySignIn(authenticator, { counter: 5 }).then(({ status }) =>
        expect(status).toBe(200),
      );
      const cloned = await passkeySignIn(authenticator, { counter: 3 });
      expectError(cloned, 401, 'INVALID_CREDENTIALS');
      const same = await passkeySignIn(authenticator, { counter: 5 });
      expectError(same, 401, 'INVALID_CREDENTIALS');
      const events = await fixture.t.db
        .collection('events')
        .find({ userId: new Types.ObjectId(user.id), type: 'sign_in.failed' })
        .toArray();
      expect(events.map(({ details }) => details as unknown)).toEqual([
        { method: 'passkey', reason: 'counter_went_backwards' },
        { method: 'passkey', reason: 'counter_went_backwards' },
      ]);
      expect((await stored(user.id))!.passkeys[0].counter).toBe(5);
    });

    it('lets exactly one of two sign-ins with one challenge through', async () => {
      const { cookie, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      for (let round = 0; round < 3; round += 1) {
        const challenge = await options('/auth/passkey/options');
        const first = authenticator.get(challenge);
        const second = authenticator.get(challenge);
        const results = await Promise.all(
          [first, second].map((response) =>
            request(http()).post('/auth/passkey').send({ response }),
          ),
        );
        expect(results.map(({ status }) => status).sort()).toEqual([200, 401]);
      }
    });

    it('refuses a disabled account with ACCOUNT_DISABLED', async () => {
      const { cookie, user, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      await users().updateOne({ _id: new Types.ObjectId(user.id) }, { $set: { disabled: true } });
      expectError(await passkeySignIn(authenticator), 403, 'ACCOUNT_DISABLED');
    });

    it("counts sign-ins under the method label 'passkey'", async () => {
      const metrics = await request(http())
        .get('/metrics')
        .set('Authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);
      expect(metrics.text).toMatch(/sign_ins_total\{method="passkey",outcome="success"\} [1-9]/);
      expect(metrics.text).toMatch(/sign_ins_total\{method="passkey",outcome="failure"\} [1-9]/);
    });
  });

  describe('signing up with a passkey alone', () => {
    it('creates the account and its session; the email gets its verification link', async () => {
      const { cookie, email, user } = await passkeyAccount();
      const me = await request(http()).get('/me').set('Cookie', cookie).expect(200);
      expect(me.body.user).toMatchObject({
        id: user.id,
        email,
        emailVerified: false,
        hasPassword: false,
        passkeys: 1,
      });
      const mail = await fixture.mail.next(email);
      expect(mail.subject).toMatch(/Confirm your email address/);
      const record = await stored(user.id);
      expect(record?.passwordHash).toBeUndefined();
      expect(record?.passkeys?.[0]).toMatchObject({ name: 'Phone' });
      const session = await fixture.t.db
        .collection('sessions')
        .findOne({ userId: new Types.ObjectId(user.id) });
      expect(session?.method).toBe('passkey');
    });

    it('signs the new account in with its passkey later', async () => {
      const { authenticator, user } = await passkeyAccount();
      const response = await passkeySignIn(authenticator);
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(user.id);
    });

    it('refuses an email or username already taken, and a used sign-up', async () => {
      const { account } = await register(http());
      const taken = await request(http())
        .post('/auth/register/passkey/options')
        .send({ email: account.email.toUpperCase() });
      expectError(taken, 409, 'EMAIL_TAKEN');
      const { user } = await register(http(), newAccount({ username: `taken${Date.now()}` }));
      const name = await request(http())
        .post('/auth/register/passkey/options')
        .send({ email: newAccount().email, username: user.username });
      expectError(name, 409, 'USERNAME_TAKEN');

      const authenticator = new SoftAuthenticator();
      const { email } = newAccount();
      const created = authenticator.create(
        await options('/auth/register/passkey/options', undefined, { email }),
      );
      // Someone takes the address meanwhile: the unique index decides.
      await register(http(), newAccount({ email }));
      const late = await request(http()).post('/auth/register/passkey').send({ response: created });
      expectError(late, 409, 'EMAIL_TAKEN');
      const replay = await request(http())
        .post('/auth/register/passkey')
        .send({ response: created });
      expectError(replay, 400, 'PASSKEY_REJECTED');
    });

    it('refuses sign-up options used to add a passkey, and the other way round', async () => {
      const authenticator = new SoftAuthenticator();
      const signUp = authenticator.create(
        await options('/auth/register/passkey/options', undefined, { email: newAccount().email }),
      );
      const { cookie } = await member();
      const add = await request(http())
        .post('/me/passkeys')
        .set('Cookie', cookie)
        .send({ response: signUp });
      expectError(add, 400, 'PASSKEY_REJECTED');
      const forAdding = new SoftAuthenticator().create(
        await options('/me/passkeys/options', cookie),
      );
      const created = await request(http())
        .post('/auth/register/passkey')
        .send({ response: forAdding });
      expectError(created, 400, 'PASSKEY_REJECTED');
    });
  });

  describe('re-authentication', () => {
    it('takes a passkey assertion of the signed-in account', async () => {
      const { cookie, user, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      await fixture.t.db
        .collection('sessions')
        .updateMany(
          { userId: new Types.ObjectId(user.id) },
          { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
        );
      const assertion = authenticator.get(await options('/auth/passkey/options'));
      const response = noted(
        await request(http())
          .post('/auth/reauthenticate')
          .set('Cookie', cookie)
          .send({ passkey: assertion })
          .expect(200),
      );
      const renewed = sessionCookie(response);
      const session = await fixture.t.db
        .collection('sessions')
        .findOne({ userId: new Types.ObjectId(user.id), method: 'passkey' });
      expect((session?.authenticatedAt as Date).getTime()).toBeGreaterThan(Date.now() - 60_000);
      await request(http()).post('/me/passkeys/options').set('Cookie', renewed).expect(200);
    });

    it('is two factors by itself: with two-step sign-in on, a passkey signs in and confirms with no code', async () => {
      const { cookie, user, account, authenticator } = await member();
      await addPasskey(cookie, authenticator);
      const setUp = await request(http()).post('/me/two-step').set('Cookie', cookie).expect(200);
      await request(http())
        .post('/me/two-step/confirm')
        .set('Cookie', cookie)
        .send({ code: totpCodeOf(setUp.body.secret) })
        .expect(200);
      // The password alone now needs the second step...
      const password = await request(http())
        .post('/auth/login')
        .send({ login: account.email, password: account.password });
      expect(password.status).toBe(401);
      expect(password.body.error.code).toBe('SECOND_FACTOR_REQUIRED');
      // ...a passkey does not.
      const signedIn = await passkeySignIn(authenticator);
      expect(signedIn.status).toBe(200);
      const passkeyCookie = sessionCookie(signedIn);
      await fixture.t.db
        .collection('sessions')
        .updateMany(
          { userId: new Types.ObjectId(user.id) },
          { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
        );
      const assertion = authenticator.get(await options('/auth/passkey/options'));
      const confirmed = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', passkeyCookie)
        .send({ passkey: assertion });
      expect(confirmed.status).toBe(200);
      // A passkey and a code together are one proof too many.
      const both = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', sessionCookie(confirmed))
        .send({
          passkey: authenticator.get(await options('/auth/passkey/options')),
          code: '123456',
        });
      expectError(both, 400, 'VALIDATION_FAILED');
    });

    it("refuses another account's passkey, a bad one, and both proofs at once", async () => {
      const { cookie, account } = await member();
      const other = await member();
      await addPasskey(other.cookie, other.authenticator);
      const foreign = other.authenticator.get(await options('/auth/passkey/options'));
      const response = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', cookie)
        .send({ passkey: foreign });
      expectError(response, 401, 'INVALID_CREDENTIALS');
      expect(response.body.error.field).toBe('passkey');
      const bad = other.authenticator.get(await options('/auth/passkey/options'), undefined, {
        badSignature: true,
      });
      const refused = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', other.cookie)
        .send({ passkey: bad });
      expectError(refused, 401, 'INVALID_CREDENTIALS');
      const both = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', cookie)
        .send({ password: account.password, passkey: foreign });
      expectError(both, 400, 'VALIDATION_FAILED');
      const neither = await request(http())
        .post('/auth/reauthenticate')
        .set('Cookie', cookie)
        .send({});
      expectError(neither, 400, 'VALIDATION_FAILED');
    });
  });

  it('shows no public key, credential id or challenge in any answer beyond the options', async () => {
    const records = await users()
      .find({ passkeys: { $exists: true } })
      .toArray();
    const secrets = [
      ...challenges,
      ...records.flatMap((record) =>
        (record.passkeys as Array<{ publicKey: string; credentialId: string }>).flatMap(
          ({ publicKey, credentialId }) => [publicKey, credentialId],
        ),
      ),
      ...records.map(({ webauthnUserId }) => webauthnUserId as string),
    ].filter(Boolean);
    expect(secrets.length).toBeGreaterThan(10);
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) {
      for (const secret of secrets) expect(answer).not.toContain(secret);
    }
  });
});
