import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { Types } from 'mongoose';
import request from 'supertest';
import { GOOD_PASSWORD } from '../support/accounts';
import { LiveApp, startLiveApp } from '../support/live-app';
import { MailServer, tokenIn } from '../support/mail';
import { oidcBrowsing } from '../support/oidc-browser';
import { RelyingParty, SignedInBrowser } from '../support/relying-party';
import { waitFor } from '../support/wait-for';
import { ReceivedWebhook, WebhookReceiver } from '../support/webhook-receiver';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** An app on the operator's own network (127.0.0.1) that wants `sid` in its tokens. */
const NOTES = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
  post_logout_redirect_uris: ['http://notes.example.test/signed-out'],
  backchannel_logout_session_required: true,
};
/** An app that takes logout tokens without `sid`. */
const REPORTS = {
  client_id: 'reports',
  client_secret: 'a-secret-of-the-reports-app-that-is-long-enough',
  redirect_uris: ['http://reports.example.test/callback'],
};
/** An app without a back-channel: it is owed nothing. */
const WIKI = {
  client_id: 'wiki',
  client_secret: 'a-secret-of-the-wiki-app-that-is-long-enough-too',
  redirect_uris: ['http://wiki.example.test/callback'],
};

/** A logout token as an app received it, verified against the published keys. */
interface ReceivedToken {
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
}

/**
 * OpenID Connect Back-Channel Logout 1.0: every way a person's session ends here tells each app it
 * signed in that has a `backchannel_logout_uri`, with one logout token per app and session,
 * delivered through the outbox (real HTTP servers stand for the apps).
 */
describe('OpenID provider: back-channel logout', () => {
  let mail: MailServer;
  let notesEndpoint: WebhookReceiver;
  let reportsEndpoint: WebhookReceiver;
  let live: LiveApp;
  let notes: RelyingParty;
  let reports: RelyingParty;
  let wiki: RelyingParty;
  const oidc = oidcBrowsing(() => live.url);

  beforeAll(async () => {
    mail = await MailServer.start();
    notesEndpoint = await WebhookReceiver.start();
    reportsEndpoint = await WebhookReceiver.start();
    live = await startLiveApp({
      env: {
        ...mail.env,
        MAIL_POLL_INTERVAL_MS: '100',
        OIDC_CLIENTS: JSON.stringify([
          { ...NOTES, backchannel_logout_uri: notesEndpoint.url },
          { ...REPORTS, backchannel_logout_uri: reportsEndpoint.url },
          WIKI,
        ]),
      },
    });
    notes = new RelyingParty(live, NOTES);
    reports = new RelyingParty(live, REPORTS);
    wiki = new RelyingParty(live, WIKI);
  });
  afterAll(async () => {
    await live?.close();
    await notesEndpoint?.stop();
    await reportsEndpoint?.stop();
    await mail?.close();
  });

  const outbox = () => live.t.db.collection('oidc_backchannel_logout_outbox');

  /** The tokens an endpoint received, each verified with jose against the provider's JWKS. */
  async function tokensAt(endpoint: WebhookReceiver, sub: string): Promise<ReceivedToken[]> {
    const jwks = (await request(live.url).get('/.well-known/jwks.json').expect(200))
      .body as JSONWebKeySet;
    const keys = createLocalJWKSet(jwks);
    const tokens: ReceivedToken[] = [];
    for (const received of endpoint.received.filter(({ status }) => status === 204)) {
      const token = logoutTokenOf(received);
      const { payload, protectedHeader } = await jwtVerify(token, keys, {
        issuer: live.url,
        typ: 'logout+jwt',
        algorithms: ['RS256'],
      });
      if (payload.sub === sub) tokens.push({ claims: payload, header: protectedHeader });
    }
    return tokens;
  }

  /** Waits until the account's messages are all delivered; then what each app received for it. */
  async function delivered(sub: string) {
    await waitFor(
      async () =>
        (await outbox().countDocuments({ sub, state: 'pending' })) === 0 &&
        (await outbox().countDocuments({ sub })) > 0,
      { what: `the logout tokens of ${sub}` },
    );
    return {
      notes: await tokensAt(notesEndpoint, sub),
      reports: await tokensAt(reportsEndpoint, sub),
    };
  }

  /** A browser signed in here and at the three apps; Notes' ID token carries its sid. */
  async function signedInEverywhere(signedIn?: SignedInBrowser) {
    const { browser, userId, email, cookie } = signedIn ?? (await notes.signedInBrowser());
    const notesTokens = await notes.signIn(browser);
    const reportsTokens = await reports.signIn(browser);
    await wiki.signIn(browser);
    return {
      browser,
      userId,
      email,
      cookie,
      notesSid: notesTokens.claims()?.sid as string,
      reportsIdToken: reportsTokens.claims()!,
      idToken: notesTokens.id_token!,
    };
  }

  /** One token for each app with a back-channel, of the right shape; none for the wiki. */
  function expectOneEach(
    tokens: { notes: ReceivedToken[]; reports: ReceivedToken[] },
    userId: string,
    notesSid: string,
  ) {
    expect(tokens.notes).toHaveLength(1);
    expect(tokens.reports).toHaveLength(1);
    const [fromNotes] = tokens.notes;
    expect(fromNotes.header).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
    expect(fromNotes.claims).toMatchObject({
      iss: live.url,
      aud: NOTES.client_id,
      sub: userId,
      sid: notesSid,
      events: { [LOGOUT_EVENT]: {} },
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(fromNotes.claims).not.toHaveProperty('nonce');
    expect(tokens.reports[0].claims).toMatchObject({ aud: REPORTS.client_id, sub: userId });
    expect(tokens.reports[0].claims).not.toHaveProperty('sid');
  }

  /** The wiki (no back-channel URI) is owed nothing. */
  const nothingForTheWiki = async (sub: string) =>
    expect(await outbox().countDocuments({ sub, clientId: WIKI.client_id })).toBe(0);

  it('discovery says back-channel logout is supported, with sessions; ID tokens carry sid only for the apps that ask', async () => {
    const metadata = (await notes.discover()).serverMetadata();
    expect(metadata).toMatchObject({
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    const { notesSid, reportsIdToken } = await signedInEverywhere();
    expect(notesSid).toEqual(expect.any(String));
    expect(reportsIdToken).not.toHaveProperty('sid');
  });

  it('signing out here (POST /auth/logout): one token per app to its endpoint on the local network, nothing for an app without one', async () => {
    const { browser, userId, notesSid } = await signedInEverywhere();
    await browser.post('/auth/logout').expect(204);
    expectOneEach(await delivered(userId), userId, notesSid);
    await nothingForTheWiki(userId);
    // Stored are the claims, never a token.
    const stored = await outbox().findOne({ sub: userId, clientId: NOTES.client_id });
    expect(JSON.stringify(stored)).not.toMatch(/eyJ/);
  });

  it("an app's sign-out (/oauth2/logout with its hint) tells the other apps too", async () => {
    const { browser, userId, notesSid, idToken } = await signedInEverywhere();
    const url = client.buildEndSessionUrl(await notes.discover(), { id_token_hint: idToken });
    await browser.get(url.pathname + url.search).expect(303);
    expectOneEach(await delivered(userId), userId, notesSid);
  });

  it('"sign out everywhere": one token per app and session, each session with its own sid', async () => {
    const first = await signedInEverywhere();
    const second = request.agent(live.url);
    await oidc.signInAgain(second, first.email);
    const secondSid = (await notes.signIn(second)).claims()?.sid as string;
    await first.browser.delete('/me/sessions').expect(204);
    const tokens = await delivered(first.userId);
    expect(tokens.notes.map(({ claims }) => claims.sid).sort()).toEqual(
      [first.notesSid, secondSid].sort(),
    );
    expect(tokens.reports).toHaveLength(1);
  });

  it('a password change', async () => {
    const { browser, userId, notesSid } = await signedInEverywhere();
    await browser
      .put('/me/password')
      .send({ currentPassword: GOOD_PASSWORD, newPassword: 'a changed passphrase, long enough' })
      .expect(204);
    expectOneEach(await delivered(userId), userId, notesSid);
  });

  it('a password reset', async () => {
    const { userId, email, notesSid } = await signedInEverywhere();
    await request(live.url).post('/auth/password/forgot').send({ email }).expect(202);
    // The second message: the first asked to verify the address.
    const token = tokenIn(await mail.next(email, 2), '/reset-password');
    await request(live.url)
      .post('/auth/password/reset')
      .send({ token, newPassword: 'a recovered passphrase, long enough' })
      .expect(204);
    expectOneEach(await delivered(userId), userId, notesSid);
  });

  it('deleting the account', async () => {
    const { browser, userId, notesSid } = await signedInEverywhere();
    await browser.delete('/me').send({ password: GOOD_PASSWORD }).expect(204);
    expectOneEach(await delivered(userId), userId, notesSid);
  });

  it.each([
    ['revokes its sessions', 'revoke'],
    ['disables it', 'disable'],
  ])('an admin %s', async (_what, action) => {
    const admin = await notes.signedInBrowser();
    await live.t.db
      .collection('users')
      .updateOne({ _id: new Types.ObjectId(admin.userId) }, { $set: { role: 'admin' } });
    const { userId, notesSid } = await signedInEverywhere();
    if (action === 'revoke') {
      await admin.browser.post(`/admin/users/${userId}/sessions/revoke`).expect(204);
    } else {
      await admin.browser.patch(`/admin/users/${userId}`).send({ disabled: true }).expect(200);
    }
    expectOneEach(await delivered(userId), userId, notesSid);
  });

  it('retries after the app answers 500, under the same jti, until it takes the token', async () => {
    const { browser, userId } = await signedInEverywhere();
    notesEndpoint.answerNext(500);
    await browser.post('/auth/logout').expect(204);
    const tokens = await delivered(userId);
    expect(tokens.notes).toHaveLength(1);
    const attempts = notesEndpoint.received.filter((received) => {
      const [, payload] = logoutTokenOf(received).split('.');
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).sub === userId;
    });
    expect(attempts.map(({ status }) => status)).toEqual([500, 204]);
    const jtis = attempts.map((received) => {
      const [, payload] = logoutTokenOf(received).split('.');
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).jti as string;
    });
    expect(jtis[0]).toBe(jtis[1]);
    const stored = await outbox().findOne({ sub: userId, clientId: NOTES.client_id });
    expect(stored).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('keeps a token while the app is down (shown in the backlog gauge), and delivers it once the app is back', async () => {
    const { browser, userId } = await signedInEverywhere();
    await reportsEndpoint.stop();
    try {
      await browser.post('/auth/logout').expect(204);
      const owed = () => outbox().findOne({ sub: userId, clientId: REPORTS.client_id });
      await waitFor(async () => typeof (await owed())?.lastError === 'string', {
        what: 'a failed attempt',
      });
      expect(await owed()).toMatchObject({ state: 'pending' });
      const metrics = await request(live.url).get('/metrics').expect(200);
      const pending = /^oidc_backchannel_logout_pending (\S+)$/m.exec(metrics.text)?.[1];
      expect(Number(pending)).toBeGreaterThanOrEqual(1);
    } finally {
      await reportsEndpoint.listen();
    }
    expect((await delivered(userId)).reports).toHaveLength(1);
  });

  it('two sign-outs of the same session at the same moment owe each app one token', async () => {
    const { userId, notesSid, cookie } = await signedInEverywhere();
    await Promise.all(
      [1, 2, 3].map(() => request(live.url).post('/auth/logout').set('Cookie', cookie).expect(204)),
    );
    expectOneEach(await delivered(userId), userId, notesSid);
  });
});

/** The logout token a request carried as its form body (`logout_token=…`), and its content type. */
function logoutTokenOf(received: ReceivedWebhook): string {
  expect(received.headers['content-type']).toBe('application/x-www-form-urlencoded');
  const token = new URLSearchParams(received.body).get('logout_token');
  if (!token) throw new Error(`No logout_token in ${received.body}`);
  decodeProtectedHeader(token);
  return token;
}
