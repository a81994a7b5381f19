import { mongo, Types } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { Transactions } from '../../src/platform/database/transactions';
import { WebhookOutbox } from '../../src/audit/webhooks/webhook-outbox';
import { GOOD_PASSWORD, newAccount, register } from '../support/accounts';
import { MailServer, tokenIn } from '../support/mail';
import { newIdentity, SocialWorld, startSocialWorld } from '../support/social';
import { testServerUri, withDatabase } from '../support/mongo-uri';
import { createTestApp, dropDatabase, newDatabaseName, TestApp } from '../support/test-app';
import { parse, ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';
import { waitFor } from '../support/wait-for';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** The webhook verified as a receiver would, with the official library and the shared secret. */
function verified(webhook: ReceivedWebhook) {
  return new Webhook(SECRET).verify(webhook.body, webhook.headers) as ReturnType<typeof parse>;
}

/**
 * WEBHOOK_URLS: other backends hear of accounts created, changed and deleted, from an outbox
 * written with each change, signed as Standard Webhooks describes, retried until they answer 2xx.
 */
describe('webhooks to other backends', () => {
  let mail: MailServer;
  let first: WebhookReceiver;
  let second: WebhookReceiver;
  let t: TestApp;
  const outbox = () => t.db.collection('webhook_outbox');
  const about = (type: string, userId: string) => (webhook: ReceivedWebhook) => {
    const { type: sent, data } = parse(webhook);
    return sent === type && data.id === userId;
  };

  beforeAll(async () => {
    [mail, first, second] = await Promise.all([
      MailServer.start(),
      WebhookReceiver.start(),
      WebhookReceiver.start(),
    ]);
    t = await createTestApp({
      env: {
        ...mail.env,
        WEBHOOK_URLS: `${first.url},${second.url}`,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_RETRY_SECONDS: '1',
      },
    });
  });
  afterEach(async () => {
    first.release();
    second.release();
    await first.listen();
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([first.stop(), second.stop(), mail.close()]);
  });

  it('sends user.created to every URL, signed: Webhook.verify accepts it, and data is the account as GET /me shows it', async () => {
    const { cookie, user } = await register(t.http);
    const [webhook] = await first.waitFor(about('user.created', user.id));
    const [copy] = await second.waitFor(about('user.created', user.id));

    const payload = verified(webhook);
    const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    expect(payload).toEqual({
      type: 'user.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: me.body.user,
    });
    expect(webhook.body).not.toMatch(/passwordHash|argon2/);
    expect(webhook.headers['content-type']).toBe('application/json');
    expect(webhook.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{24}$/);
    // One change, one message: the same id at every URL.
    expect(copy.headers['webhook-id']).toBe(webhook.headers['webhook-id']);
    expect(verified(copy)).toEqual(payload);

    // A tampered body, or another secret, is refused by the receiver's check.
    expect(() => new Webhook(SECRET).verify(`${webhook.body} `, webhook.headers)).toThrow();
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    expect(() => new Webhook(other).verify(webhook.body, webhook.headers)).toThrow();
  });

  it('sends user.updated with the account as it is after a profile change, an email confirmation and an email change', async () => {
    const { cookie, user, account } = await register(t.http);
    await first.waitFor(about('user.created', user.id));

    await request(t.http).patch('/me').set('Cookie', cookie).send({ name: 'Grace' }).expect(200);
    const [renamed] = await first.waitFor(about('user.updated', user.id));
    expect(verified(renamed).data).toMatchObject({ id: user.id, name: 'Grace' });

    // Confirmed in the account's own session, which stays signed in.
    const token = tokenIn(await mail.next(account.email), '/verify-email');
    await request(t.http)
      .post('/auth/email/verify')
      .set('Cookie', cookie)
      .send({ token })
      .expect(200);
    const [, confirmed] = await first.waitFor(about('user.updated', user.id), 2);
    expect(verified(confirmed).data).toMatchObject({ emailVerified: true });

    const email = newAccount().email;
    await request(t.http).patch('/me').set('Cookie', cookie).send({ email }).expect(202);
    const change = tokenIn(await mail.next(email), '/verify-email');
    await request(t.http)
      .post('/auth/email/verify')
      .set('Cookie', cookie)
      .send({ token: change })
      .expect(200);
    const [, , changed] = await first.waitFor(about('user.updated', user.id), 3);
    expect(verified(changed).data).toMatchObject({ email, emailVerified: true });
  });

  it("sends one user.updated for an admin's change of several things, and none for a change that changed nothing", async () => {
    const admin = await register(t.http);
    await t.db
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(admin.user.id) }, { $set: { role: 'admin' } });
    const { user } = await register(t.http);
    await first.waitFor(about('user.created', user.id));
    const change = (body: object) =>
      request(t.http)
        .patch(`/admin/users/${user.id}`)
        .set('Cookie', admin.cookie)
        .send(body)
        .expect(200);

    await change({ username: user.username }); // the username it has: nothing changes
    await change({ disabled: true, name: 'Disabled Dora' });
    await change({ disabled: false });
    // Delivered one at a time in the order of the changes; once nothing is pending, all are in.
    await first.waitFor(about('user.updated', user.id), 2);
    await waitFor(async () => (await outbox().countDocuments({ state: 'pending' })) === 0);

    const updates = first.received.filter(about('user.updated', user.id)).map(verified);
    // Disabled and renamed in one change: one webhook; enabled again: one more.
    expect(updates.map(({ data }) => (data as { name: string }).name)).toEqual([
      'Disabled Dora',
      'Disabled Dora',
    ]);
    // The audit log still has every admin action, the one that changed nothing included.
    const events = await request(t.http)
      .get(`/admin/events?userId=${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(
      (events.body.events as Array<{ type: string; details?: { fields?: string[] } }>)
        .filter(({ type }) => type !== 'user.created')
        .map(({ type, details }) => [type, details?.fields])
        .reverse(),
    ).toEqual([
      ['user.updated', []],
      ['user.disabled', undefined],
      ['user.updated', ['name']],
      ['user.enabled', undefined],
    ]);
  });

  it('writes its webhook again when a transient conflict runs the transaction again: the first attempt wrote nothing', async () => {
    const { user } = await register(t.http);
    await first.waitFor(about('user.created', user.id));
    const transactions = t.app.get(Transactions);
    const webhooks = t.app.get(WebhookOutbox);
    const userId = new Types.ObjectId(user.id);
    let attempts = 0;
    await transactions.run(async () => {
      attempts += 1;
      await webhooks.enqueue({
        type: 'user.updated',
        userId,
        id: new Types.ObjectId(),
        at: new Date(),
      });
      // A second change of the same account in this transaction: merged into the first webhook.
      await webhooks.enqueue({
        type: 'user.updated',
        userId,
        id: new Types.ObjectId(),
        at: new Date(),
      });
      if (attempts === 1) {
        throw new mongo.MongoServerError({
          message: 'a write conflict, as the server reports it',
          errorLabels: ['TransientTransactionError'],
        });
      }
    });
    expect(attempts).toBe(2);
    // One webhook (at each of the two URLs), written by the attempt that committed.
    const written = await outbox()
      .find({ type: 'user.updated', body: { $regex: user.id } })
      .toArray();
    expect(written.map(({ url }) => url as string).sort()).toEqual([first.url, second.url].sort());
    await first.waitFor(about('user.updated', user.id));
  });

  it('sends user.deleted with the account id only', async () => {
    const { cookie, user } = await register(t.http);
    await request(t.http)
      .delete('/me')
      .set('Cookie', cookie)
      .send({ password: GOOD_PASSWORD })
      .expect(204);
    const [webhook] = await first.waitFor(about('user.deleted', user.id));
    expect(verified(webhook)).toEqual({
      type: 'user.deleted',
      timestamp: expect.any(String),
      data: { id: user.id },
    });
  });

  it('sends nothing when the change is refused: the transaction that would have sent it is rolled back', async () => {
    const taken = await register(t.http);
    const token = tokenIn(await mail.next(taken.account.email), '/verify-email');
    await request(t.http).post('/auth/email/verify').send({ token }).expect(200);
    const { cookie, user } = await register(t.http);
    await first.waitFor(about('user.created', user.id));
    const before = await outbox().countDocuments();

    // The new name is written (with its event and webhooks), then the email is refused as
    // another account's verified address: none of it stays.
    const refused = await request(t.http)
      .patch('/me')
      .set('Cookie', cookie)
      .send({ name: 'Changed', email: taken.account.email })
      .expect(409);
    expect(refused.body.error.code).toBe('EMAIL_TAKEN');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await outbox().countDocuments()).toBe(before);
    expect(first.received.filter(about('user.updated', user.id))).toEqual([]);
    const me = await request(t.http).get('/me').set('Cookie', cookie).expect(200);
    expect(me.body.user.name).toBeNull();
    const events = await t.db
      .collection<{ type: string }>('events')
      .find({ userId: new Types.ObjectId(user.id) })
      .toArray();
    expect(events.map(({ type }) => type)).toEqual(['user.created']);
  });

  it('retries a receiver that fails under the same webhook-id, with a fresh signature, until it answers 2xx', async () => {
    first.answerNext(500, 302);
    const { user } = await register(t.http);
    const attempts = await first.waitFor(about('user.created', user.id), 3);

    expect(attempts.map(({ status }) => status)).toEqual([500, 302, 204]);
    const ids = new Set(attempts.map(({ headers }) => headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const attempt of attempts) expect(verified(attempt).data.id).toBe(user.id);
    const [id] = ids;
    await waitFor(
      async () =>
        (await outbox().findOne({ webhookId: id, url: first.url }))?.state === 'delivered',
    );
    const record = await outbox().findOne({ webhookId: id, url: first.url });
    expect(record).toMatchObject({ state: 'delivered', attempts: 3, lastError: 'HTTP 302' });
    // Delivered: the copy of the account is no longer kept.
    expect(record).not.toHaveProperty('body');
    // The other URL answered at once: one attempt there.
    expect(second.received.filter(about('user.created', user.id))).toHaveLength(1);
  });

  it('holds up only the webhooks of a receiver that does not answer: the other URL gets its own at once', async () => {
    first.answerNext('hang');
    const { user, cookie } = await register(t.http);
    const [held] = await first.waitFor(about('user.created', user.id));
    // Well within the 10 s the held attempt may take.
    await second.waitFor(about('user.created', user.id), 1, 5_000);
    // The next change's webhooks do not wait for it either.
    await request(t.http).patch('/me').set('Cookie', cookie).send({ name: 'Next' }).expect(200);
    await second.waitFor(about('user.updated', user.id), 1, 5_000);
    await first.waitFor(about('user.updated', user.id), 1, 5_000);
    expect(held.status).toBeUndefined();
    first.release();
    const [, retried] = await first.waitFor(about('user.created', user.id), 2);
    expect(retried.status).toBe(204);
  });

  it('answers the person at once while a receiver is down or does not answer, and delivers later', async () => {
    await first.stop();
    second.answerNext('hang');
    const started = Date.now();
    const { user } = await register(t.http);
    const answeredAfter = Date.now() - started;
    // The receiver that does not answer would hold an attempt for 10 s; the request did not wait.
    await second.waitFor(about('user.created', user.id));
    expect(second.received.filter(about('user.created', user.id))[0].status).toBeUndefined();
    expect(answeredAfter).toBeLessThan(5_000);
    second.release();

    await waitFor(async () => {
      const waiting = await outbox().findOne({
        url: first.url,
        type: 'user.created',
        body: { $regex: user.id },
      });
      return waiting?.lastError !== undefined;
    });
    const waiting = await outbox().findOne({ url: first.url, body: { $regex: user.id } });
    expect(waiting).toMatchObject({ state: 'pending', attempts: 1 });
    expect(waiting?.lastError).toMatch(/ECONNREFUSED/);
    const metrics = await request(t.http).get('/metrics').expect(200);
    expect(
      Number(/^webhook_outbox_pending (\S+)$/m.exec(metrics.text)?.[1]),
    ).toBeGreaterThanOrEqual(1);

    await first.listen();
    await first.waitFor(about('user.created', user.id));
    const [held, retried] = await second.waitFor(about('user.created', user.id), 2);
    expect(retried.headers['webhook-id']).toBe(held.headers['webhook-id']);
    expect(retried.status).toBe(204);
  });

  it('gives up on a webhook still undelivered three days after its change, and marks it failed', async () => {
    await first.stop();
    const { user } = await register(t.http);
    const mine = { url: first.url, type: 'user.created', body: { $regex: user.id } };
    await waitFor(async () => (await outbox().findOne(mine))?.lastError !== undefined);
    // Three days pass.
    await outbox().updateOne(mine, {
      $set: {
        createdAt: new Date(Date.now() - 3 * 86_400_000 - 60_000),
        nextAttemptAt: new Date(),
      },
    });
    await waitFor(async () => (await outbox().findOne(mine))?.state === 'failed');
    const failed = await outbox().findOne(mine);
    expect(failed).toMatchObject({
      state: 'failed',
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });
    expect((failed?.expiresAt as Date).getTime()).toBeGreaterThan(Date.now());
  });
});

describe('webhooks when an instance shuts down', () => {
  it('finishes the attempt in flight and lets go of it, so another instance delivers it under the same webhook-id', async () => {
    const receiver = await WebhookReceiver.start();
    const database = newDatabaseName();
    const env = { WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_SECONDS: '1' };
    const leaving = await createTestApp({ env, database });
    let staying: TestApp | undefined;
    try {
      receiver.answerNext('hang');
      const { user } = await register(leaving.http);
      const created = (webhook: ReceivedWebhook) => parse(webhook).data.id === user.id;
      await receiver.waitFor(created);

      let closed = false;
      const closing = leaving.app.close().then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Still waiting for the receiver's answer.
      expect(closed).toBe(false);
      receiver.release();
      await closing;

      staying = await createTestApp({ env, database });
      const [held, retried] = await receiver.waitFor(created, 2);
      expect(held.status).toBe(503);
      expect(retried.status).toBe(204);
      expect(retried.headers['webhook-id']).toBe(held.headers['webhook-id']);
      const outbox = staying.db.collection('webhook_outbox');
      await waitFor(async () => (await outbox.findOne({}))?.state === 'delivered');
      expect(await outbox.findOne({})).toMatchObject({ attempts: 2, lastError: 'HTTP 503' });
    } finally {
      await staying?.close();
      await receiver.stop();
    }
  });

  it('hands back every webhook still in flight when the grace runs out, and another instance delivers them', async () => {
    const [slow, slower] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
    const database = newDatabaseName();
    const env = {
      WEBHOOK_URLS: `${slow.url},${slower.url}`,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_SECONDS: '1',
      SHUTDOWN_GRACE_SECONDS: '1',
    };
    const stopping = await createTestApp({ env, database });
    // The stopped instance's connection is closed: the records are read through one of the test's.
    const client = await mongo.MongoClient.connect(withDatabase(testServerUri(), database));
    let stopped = false;
    let other: TestApp | undefined;
    try {
      slow.answerNext('hang');
      slower.answerNext('hang');
      const { user } = await register(stopping.http);
      const created = (webhook: ReceivedWebhook) => parse(webhook).data.id === user.id;
      // Both sent at once, and both held past the grace.
      await Promise.all([slow.waitFor(created), slower.waitFor(created)]);
      await stopping.app.close();
      stopped = true;

      const handedBack = await client.db().collection('webhook_outbox').find({}).toArray();
      expect(handedBack).toHaveLength(2);
      for (const message of handedBack) {
        expect(message).toMatchObject({ state: 'pending', attempts: 1 });
        expect(message).not.toHaveProperty('claimedBy');
      }
      slow.release();
      slower.release();
      other = await createTestApp({ env, database });
      for (const receiver of [slow, slower]) {
        const [held, delivered] = await receiver.waitFor(created, 2);
        expect(delivered.status).toBe(204);
        expect(delivered.headers['webhook-id']).toBe(held.headers['webhook-id']);
      }
    } finally {
      await client.close();
      if (other) await other.close();
      else if (stopped) await dropDatabase(database);
      else await stopping.close();
      await Promise.all([slow.stop(), slower.stop()]);
    }
  });
});

describe('webhooks when a way in is added or removed', () => {
  let mail: MailServer;
  let receiver: WebhookReceiver;
  let world: SocialWorld;
  const updatesOf = (userId: string) =>
    receiver.received
      .filter((webhook) => parse(webhook).type === 'user.updated')
      .map(verified)
      .filter(({ data }) => data.id === userId);
  /** Once the outbox is empty of pending webhooks, every webhook of the changes so far is in. */
  const delivered = () =>
    waitFor(
      async () =>
        (await world.t.db.collection('webhook_outbox').countDocuments({ state: 'pending' })) === 0,
    );

  beforeAll(async () => {
    [mail, receiver] = await Promise.all([MailServer.start(), WebhookReceiver.start()]);
    world = await startSocialWorld({
      ...mail.env,
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_RETRY_SECONDS: '1',
    });
  });
  afterAll(async () => {
    await world.close();
    await Promise.all([receiver.stop(), mail.close()]);
  });

  it('sends user.updated when a provider is linked or unlinked and a password set or removed, with the account as it is then', async () => {
    const browser = world.browser();
    const signedUp = await browser.signIn(world.provider('github'), newIdentity());
    const userId = signedUp.body.user.id as string;
    await receiver.waitFor((webhook) => parse(webhook).data.id === userId);
    const sees = async () => ((await browser.me().expect(200)).body as { user: object }).user;

    expect((await browser.link(world.provider('google'), newIdentity())).status).toBe(200);
    const linked = await sees();
    await browser.agent.put('/me/password').send({ newPassword: GOOD_PASSWORD }).expect(204);
    const withPassword = await sees();
    await browser.agent.delete('/me/password').expect(204);
    const withoutPassword = await sees();
    await browser.agent.delete('/me/connections/google').expect(204);
    const unlinked = await sees();
    await delivered();

    expect(updatesOf(userId).map(({ data }) => data)).toEqual([
      linked,
      withPassword,
      withoutPassword,
      unlinked,
    ]);
    expect(linked).toMatchObject({ providers: ['github', 'google'], hasPassword: false });
    expect(withPassword).toMatchObject({ hasPassword: true });
    expect(unlinked).toMatchObject({ providers: ['github'], hasPassword: false });
  });

  it('sends one user.updated for one change that writes several events: a recovery that proves the address and unlinks a provider', async () => {
    const browser = world.browser();
    const account = newAccount();
    const registered = await browser.agent.post('/auth/register').send(account).expect(201);
    const userId = registered.body.user.id as string;
    // Linked while the address is unproven: the recovery that proves it unlinks the provider.
    expect((await browser.link(world.provider('github'), newIdentity())).status).toBe(200);
    await delivered();
    const before = updatesOf(userId).length;

    await request(world.t.http)
      .post('/auth/password/forgot')
      .send({ email: account.email })
      .expect(202);
    const token = tokenIn(await mail.next(account.email, 2), '/reset-password');
    await request(world.t.http)
      .post('/auth/password/reset')
      .send({ token, newPassword: 'another passphrase of my own' })
      .expect(204);
    await delivered();

    // The events say what happened, one by one; the webhook tells the outcome once.
    const events = await world.t.db
      .collection('events')
      .find({ userId: new Types.ObjectId(userId) })
      .sort({ _id: 1 })
      .toArray();
    expect(events.map(({ type }) => type as string).slice(-3)).toEqual([
      'password.reset',
      'email.verified',
      'identity.unlinked',
    ]);
    const updates = updatesOf(userId).slice(before);
    expect(updates).toHaveLength(1);
    expect(updates[0].data).toMatchObject({
      emailVerified: true,
      providers: [],
      hasPassword: true,
    });
  });
});
