import { Types } from 'mongoose';
import * as client from 'openid-client';
import request from 'supertest';
import { GOOD_PASSWORD } from '../support/accounts';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, formToken, oidcBrowsing } from '../support/oidc-browser';
import { waitFor } from '../support/wait-for';

/** The team's own app: signs in without asking. */
const OWN_APP = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
  client_name: 'Notes',
};
/** An app of another party: asks for consent. */
const PARTNER = {
  client_id: 'partner',
  client_secret: 'a-secret-of-the-partner-app-that-is-long-enough',
  redirect_uris: ['http://partner.example.test/callback'],
  client_name: 'Partner Planner',
  first_party: false,
};

/** Apps with access: consent for apps of other parties, GET /me/apps, DELETE /me/apps/{clientId}. */
describe('Apps with access (consent, /me/apps)', () => {
  let live: LiveApp;

  beforeAll(async () => {
    live = await startLiveApp({ env: { OIDC_CLIENTS: JSON.stringify([OWN_APP, PARTNER]) } });
  });
  afterAll(() => live.close());

  const oidc = oidcBrowsing(() => live.url);
  const discover = (app: { client_id: string; client_secret: string }) =>
    oidc.discover(app.client_id, app.client_secret);
  const signedInBrowser = () => oidc.signedInBrowser('Grace Hopper');
  /** Follows the redirects in `browser` as far as the next page: an app's, sign-in or consent. */
  const follow = (browser: Browser, start: URL) =>
    oidc.follow(browser, start, { stopAtConsent: true });

  /** The consent page at `url`: its text and the form's CSRF token. */
  async function consentPage(browser: Browser, url: URL) {
    const page = await browser.get(url.pathname).expect(200);
    return { text: page.text, csrf: formToken(page.text) };
  }

  /** Answers the consent page at `url`, and follows on to the app. */
  async function answer(browser: Browser, url: URL, decision: 'allow' | 'deny') {
    const { csrf } = await consentPage(browser, url);
    const posted = await browser
      .post(url.pathname)
      .type('form')
      .send({ _csrf: csrf, decision })
      .expect(303);
    return follow(browser, new URL(posted.headers.location, url));
  }

  /** Signs in to the partner app with consent (Allow), and returns its tokens. */
  async function partnerTokens(browser: Browser, scope = 'openid email offline_access') {
    const config = await discover(PARTNER);
    const asked = await oidc.authorize(config, PARTNER.redirect_uris[0], { scope });
    const consent = await follow(browser, asked.url);
    expect(consent.pathname).toMatch(/^\/oauth2\/interaction\/[\w-]+\/consent$/);
    const callback = await answer(browser, consent, 'allow');
    return { config, tokens: await oidc.redeem(config, callback, asked) };
  }

  const apps = async (browser: Browser) =>
    (await browser.get('/me/apps').expect(200)).body.apps as Array<Record<string, unknown>>;

  it('asks for consent on a page of its own, listing the app and what it asks for, and Allow signs in', async () => {
    const { browser, account, userId } = await signedInBrowser();
    const config = await discover(PARTNER);
    const asked = await oidc.authorize(config, PARTNER.redirect_uris[0], {
      scope: 'openid email profile offline_access',
    });
    const consent = await follow(browser, asked.url);
    expect(consent.pathname).toMatch(/\/consent$/);
    const page = await consentPage(browser, consent);
    expect(page.text).toContain('Allow Partner Planner to use your account?');
    for (const words of [
      'Know who you are here',
      'See your name and username',
      'See your email address',
      // Escaped in the page: "you're".
      'Keep its access while you',
    ]) {
      expect(page.text).toContain(words);
    }
    expect(page.text).not.toContain('See the details of your profile');
    expect(page.text).toContain(account.email);
    // No script on it: the form is plain HTML.
    expect(page.text).not.toMatch(/<script(?![^>]*src=)/);

    const callback = await answer(browser, consent, 'allow');
    expect(callback.origin + callback.pathname).toBe(PARTNER.redirect_uris[0]);
    const tokens = await oidc.redeem(config, callback, asked);
    expect(tokens.claims()).toMatchObject({ sub: userId, email: account.email });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await client.fetchUserInfo(config, tokens.access_token, userId)).toMatchObject({
      name: 'Grace Hopper',
    });
  });

  it('Deny sends the app access_denied with its state, and grants nothing', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(PARTNER);
    const asked = await oidc.authorize(config, PARTNER.redirect_uris[0], { scope: 'openid email' });
    const callback = await answer(browser, await follow(browser, asked.url), 'deny');
    expect(callback.origin + callback.pathname).toBe(PARTNER.redirect_uris[0]);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(asked.state);
    expect(callback.searchParams.get('code')).toBeNull();
    expect(await apps(browser)).toEqual([]);
  });

  it('refuses an answer without the form token, or without a decision', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(PARTNER);
    const asked = await oidc.authorize(config, PARTNER.redirect_uris[0], { scope: 'openid' });
    const consent = await follow(browser, asked.url);
    const { csrf } = await consentPage(browser, consent);
    const forged = await browser
      .post(consent.pathname)
      .type('form')
      .set('Accept', 'application/json')
      .send({ decision: 'allow' })
      .expect(403);
    expect(forged.body.error.code).toBe('CSRF_TOKEN_INVALID');
    const undecided = await browser
      .post(consent.pathname)
      .type('form')
      .set('Accept', 'application/json')
      .send({ _csrf: csrf, decision: 'maybe' })
      .expect(400);
    expect(undecided.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'decision' });
    expect(await apps(browser)).toEqual([]);
  });

  it('does not ask again for what was granted, also in another browser; asks for more scopes, and again with prompt=consent', async () => {
    const { browser, account } = await signedInBrowser();
    await partnerTokens(browser, 'openid email');
    const config = await discover(PARTNER);

    const again = await oidc.authorize(config, PARTNER.redirect_uris[0], { scope: 'openid email' });
    const callback = await follow(browser, again.url);
    expect(callback.origin + callback.pathname).toBe(PARTNER.redirect_uris[0]);
    await oidc.redeem(config, callback, again);

    // The same person in another browser: what they allowed is theirs, not the first browser's.
    const other = request.agent(live.url);
    await oidc.signInAgain(other, account.email);
    const elsewhere = await oidc.authorize(config, PARTNER.redirect_uris[0], { scope: 'openid' });
    const otherCallback = await follow(other, elsewhere.url);
    expect(otherCallback.origin + otherCallback.pathname).toBe(PARTNER.redirect_uris[0]);
    await oidc.redeem(config, otherCallback, elsewhere);

    const more = await oidc.authorize(config, PARTNER.redirect_uris[0], {
      scope: 'openid email profile',
    });
    const consent = await follow(browser, more.url);
    expect(consent.pathname).toMatch(/\/consent$/);
    const page = await consentPage(browser, consent);
    expect(page.text).toContain('asks for more than you allowed before');
    expect(page.text).toMatch(/See your name and username <span class="status">New<\/span>/);
    expect(page.text).not.toMatch(/See your email address[^<]*<span class="status">New/);
    const moreCallback = await answer(browser, consent, 'allow');
    const tokens = await oidc.redeem(config, moreCallback, more);
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'profile']);

    const asked = await oidc.authorize(config, PARTNER.redirect_uris[0], {
      scope: 'openid',
      prompt: 'consent',
    });
    expect((await follow(browser, asked.url)).pathname).toMatch(/\/consent$/);
  });

  it('answers prompt=none with consent_required without a grant that covers the request', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(PARTNER);
    const silent = await oidc.authorize(config, PARTNER.redirect_uris[0], {
      scope: 'openid email',
      prompt: 'none',
    });
    const refused = await follow(browser, silent.url);
    expect(refused.origin + refused.pathname).toBe(PARTNER.redirect_uris[0]);
    expect(refused.searchParams.get('error')).toBe('consent_required');
    expect(refused.searchParams.get('state')).toBe(silent.state);

    await partnerTokens(browser, 'openid email');
    const covered = await oidc.authorize(config, PARTNER.redirect_uris[0], {
      scope: 'openid',
      prompt: 'none',
    });
    const answered = await follow(browser, covered.url);
    expect(answered.searchParams.get('code')).toEqual(expect.any(String));
    const beyond = await oidc.authorize(config, PARTNER.redirect_uris[0], {
      scope: 'openid profile',
      prompt: 'none',
    });
    expect((await follow(browser, beyond.url)).searchParams.get('error')).toBe('consent_required');
  });

  it('lets the team’s own apps in without asking', async () => {
    const { browser } = await signedInBrowser();
    const config = await discover(OWN_APP);
    const asked = await oidc.authorize(config, OWN_APP.redirect_uris[0], { scope: 'openid email' });
    const callback = await follow(browser, asked.url);
    expect(callback.origin + callback.pathname).toBe(OWN_APP.redirect_uris[0]);
    await oidc.redeem(config, callback, asked);
  });

  it('lists the apps with access, first-party ones too, newest first, with when they were last used', async () => {
    const { browser } = await signedInBrowser();
    expect(await apps(browser)).toEqual([]);
    const own = await discover(OWN_APP);
    const first = await oidc.authorize(own, OWN_APP.redirect_uris[0], { scope: 'openid email' });
    await oidc.redeem(own, await follow(browser, first.url), first);
    // grantedAt counts whole seconds: the second app's grant is a second newer.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { config, tokens } = await partnerTokens(browser, 'openid profile offline_access');

    await waitFor(
      async () => (await apps(browser)).every(({ lastUsedAt }) => lastUsedAt !== null),
      {
        timeoutMs: 5000,
        what: 'lastUsedAt of both apps',
      },
    );
    const listed = await apps(browser);
    expect(listed).toEqual([
      {
        clientId: 'partner',
        name: 'Partner Planner',
        scopes: ['openid', 'profile', 'offline_access'],
        grantedAt: expect.any(String),
        lastUsedAt: expect.any(String),
      },
      {
        clientId: 'notes-app',
        name: 'Notes',
        scopes: ['openid', 'email'],
        grantedAt: expect.any(String),
        lastUsedAt: expect.any(String),
      },
    ]);
    const usedAt = Date.parse(listed[0].lastUsedAt as string);

    // A refresh is a use: lastUsedAt moves forward.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.refreshTokenGrant(config, tokens.refresh_token!);
    await waitFor(async () => Date.parse((await apps(browser))[0].lastUsedAt as string) > usedAt, {
      timeoutMs: 5000,
      what: 'lastUsedAt after a refresh',
    });
    // Nothing about the grant's records (ids, hashes, tokens) leaks into the answer.
    const text = (await browser.get('/me/apps').expect(200)).text;
    expect(text).not.toContain(tokens.refresh_token!);
    expect(text).not.toContain('_id');
  });

  it('needs a signed-in session for /me/apps', async () => {
    const anonymous = await request(live.url).get('/me/apps').expect(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
    await request(live.url).delete('/me/apps/partner').expect(401);
  });

  /** Time passes: the account's sign-ins are no longer recent. */
  const age = (userId: string) =>
    live.t.db
      .collection('sessions')
      .updateMany(
        { userId: new Types.ObjectId(userId) },
        { $set: { authenticatedAt: new Date(Date.now() - 3600_000) } },
      );

  /** The settings page, and its forms' CSRF token. */
  async function settings(browser: Browser) {
    const page = await browser.get('/settings').set('Accept', 'text/html').expect(200);
    return { text: page.text, csrf: formToken(page.text) };
  }

  it("shows the apps with access in the settings, and removes one after confirming it's you", async () => {
    const { browser, userId } = await signedInBrowser();
    const before = await settings(browser);
    expect(before.text).toContain('Apps with access');
    expect(before.text).toContain('No app has access to your account.');

    const { config, tokens } = await partnerTokens(browser, 'openid email');
    const listed = await settings(browser);
    const section = listed.text.slice(listed.text.indexOf('id="apps-heading"'));
    expect(section).toContain('Partner Planner');
    expect(section).toContain('See your email address, and whether it is confirmed');
    expect(section).toContain('action="/settings/apps/partner/remove"');

    // Not recent: "Confirm it's you" first, and the app keeps its access.
    await age(userId);
    const asked = await browser
      .post('/settings/apps/partner/remove')
      .set('Accept', 'text/html')
      .type('form')
      .send({ _csrf: listed.csrf });
    expect(asked.status).toBe(401);
    expect(asked.text).toContain("Confirm it's you");
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await browser
      .post('/settings/confirm')
      .type('form')
      .send({ _csrf: listed.csrf, password: GOOD_PASSWORD })
      .expect(303);

    const { csrf } = await settings(browser);
    // Without the form's token, nothing happens.
    await browser
      .post('/settings/apps/partner/remove')
      .set('Accept', 'text/html')
      .type('form')
      .send({})
      .expect(403);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    const removed = await browser
      .post('/settings/apps/partner/remove')
      .type('form')
      .send({ _csrf: csrf })
      .expect(303);
    expect(removed.headers.location).toMatch(/\/settings$/);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    const after = await settings(browser);
    expect(after.text).toContain('The app no longer has access to your account');
    expect(after.text).toContain('No app has access to your account.');

    // Removed already: the settings say so, with 404.
    const again = await browser
      .post('/settings/apps/partner/remove')
      .set('Accept', 'text/html')
      .type('form')
      .send({ _csrf: after.csrf });
    expect(again.status).toBe(404);
    expect(again.text).toContain('No app with that client id has access to your account.');
  });

  describe('DELETE /me/apps/{clientId}', () => {
    it("revokes the app's grant and tokens: refresh refused, access token dead, consent asked again; another account's access untouched", async () => {
      const { browser, userId } = await signedInBrowser();
      const { config, tokens } = await partnerTokens(browser);
      const someoneElse = await signedInBrowser();
      const theirs = await partnerTokens(someoneElse.browser);

      await browser.delete('/me/apps/partner').expect(204);

      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      await expect(client.fetchUserInfo(config, tokens.access_token, userId)).rejects.toThrow();
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
      for (const model of ['oidc_grant', 'oidc_access_token', 'oidc_refresh_token']) {
        expect(
          await live.t.db
            .collection(model)
            .countDocuments({ 'payload.accountId': userId, 'payload.clientId': 'partner' }),
        ).toBe(0);
      }
      expect(await apps(browser)).toEqual([]);

      // Its next sign-in asks for consent again.
      const next = await oidc.authorize(config, PARTNER.redirect_uris[0], {
        scope: 'openid email',
      });
      expect((await follow(browser, next.url)).pathname).toMatch(/\/consent$/);

      // The other account's access to the same app goes on.
      expect((await client.tokenIntrospection(config, theirs.tokens.access_token)).active).toBe(
        true,
      );
      await client.refreshTokenGrant(config, theirs.tokens.refresh_token!);
      expect((await apps(someoneElse.browser)).map(({ clientId }) => clientId)).toEqual([
        'partner',
      ]);

      // Recorded in the account's security events.
      const events = (await browser.get('/me/events').expect(200)).body as Array<{
        type: string;
        details: Record<string, unknown>;
      }>;
      expect(events[0]).toMatchObject({
        type: 'app_access.revoked',
        details: { clientId: 'partner' },
      });
    });

    it('answers 404 APP_NOT_FOUND for an app without a grant, also the second of two removals at once', async () => {
      const { browser } = await signedInBrowser();
      const unknown = await browser.delete('/me/apps/no-such-app').expect(404);
      expect(unknown.body.error.code).toBe('APP_NOT_FOUND');
      await browser.delete('/me/apps/partner').expect(404);

      await partnerTokens(browser);
      const statuses = await Promise.all([
        browser.delete('/me/apps/partner'),
        browser.delete('/me/apps/partner'),
      ]).then((responses) => responses.map(({ status }) => status).sort());
      expect(statuses).toEqual([204, 404]);
      const events = (await browser.get('/me/events').expect(200)).body as Array<{ type: string }>;
      expect(events.filter(({ type }) => type === 'app_access.revoked')).toHaveLength(1);
    });

    it('needs a recent sign-in, and changes nothing without one', async () => {
      const { browser, userId } = await signedInBrowser();
      const { config, tokens } = await partnerTokens(browser);
      await age(userId);

      const refused = await browser.delete('/me/apps/partner').expect(401);
      expect(refused.body.error.code).toBe('RECENT_SIGN_IN_REQUIRED');
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
      expect(await apps(browser)).toHaveLength(1);

      await browser.post('/auth/reauthenticate').send({ password: GOOD_PASSWORD }).expect(200);
      await browser.delete('/me/apps/partner').expect(204);
      expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    });
  });
});
