import { generateKeyPair, importJWK, type KeyLike, SignJWT } from 'jose';
import * as client from 'openid-client';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, formToken } from '../support/oidc-browser';
import { RelyingParty } from '../support/relying-party';
import { SigningKeys } from '../../src/openid/signing-keys';

const NOTES = {
  client_id: 'notes-app',
  client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
  redirect_uris: ['http://notes.example.test/callback'],
  post_logout_redirect_uris: ['http://notes.example.test/signed-out'],
  client_name: 'Notes',
};
const REPORTS = {
  client_id: 'reports',
  client_secret: 'a-secret-of-the-reports-app-that-is-long-enough',
  redirect_uris: ['http://reports.example.test/callback'],
  post_logout_redirect_uris: ['http://reports.example.test/'],
};

/** OpenID Connect RP-Initiated Logout 1.0 at /oauth2/logout, with openid-client as the app. */
describe('OpenID provider: RP-initiated logout', () => {
  let live: LiveApp;
  let notes: RelyingParty;
  let reports: RelyingParty;

  beforeAll(async () => {
    live = await startLiveApp({ env: { OIDC_CLIENTS: JSON.stringify([NOTES, REPORTS]) } });
    notes = new RelyingParty(live, NOTES);
    reports = new RelyingParty(live, REPORTS);
  });
  afterAll(() => live?.close());

  /** A browser signed in here and at Notes, with Notes' ID token. */
  async function signedInToNotes() {
    const signedIn = await notes.signedInBrowser();
    const tokens = await notes.signIn(signedIn.browser);
    return { ...signedIn, idToken: tokens.id_token! };
  }

  /** The end-session URL as openid-client builds it for Notes. */
  async function endSessionUrl(parameters: Record<string, string>): Promise<URL> {
    return client.buildEndSessionUrl(await notes.discover(), parameters);
  }

  const get = (browser: Browser, url: URL) => browser.get(url.pathname + url.search);
  const stillSignedIn = (browser: Browser) => browser.get('/me').expect(200);
  const signedOut = (browser: Browser) => browser.get('/me').expect(401);

  /** A private key this provider signs with, to forge what only a wrong claim betrays. */
  async function providerKey() {
    const [jwk] = await live.t.app.get(SigningKeys).load();
    return { key: await importJWK(jwk as never, 'RS256'), kid: jwk.kid as string };
  }

  /** Notes' ID token's claims, re-signed with `key` after `change`. */
  async function resigned(
    idToken: string,
    change: Record<string, unknown>,
    signer?: { key: KeyLike | Uint8Array; kid: string },
  ): Promise<string> {
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString('utf8'));
    const { key, kid } = signer ?? (await providerKey());
    return new SignJWT({ ...claims, ...change })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(key);
  }

  describe('with a valid id_token_hint of the person signed in here', () => {
    it('signs out at once and goes back to the registered address with its state; the app no longer signs anyone in silently', async () => {
      const { browser, idToken } = await signedInToNotes();
      const url = await endSessionUrl({
        id_token_hint: idToken,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
        state: 'xyz',
      });
      const back = await get(browser, url).expect(303);
      expect(back.headers.location).toBe(`${NOTES.post_logout_redirect_uris[0]}?state=xyz`);
      await signedOut(browser);
      const silent = await notes.silentSignIn(browser);
      expect(silent.searchParams.get('error')).toBe('login_required');
    });

    it('takes the same request as a form post from the app: it goes on to the GET, where the browser sends its cookie', async () => {
      const { browser, idToken } = await signedInToNotes();
      const form = {
        id_token_hint: idToken,
        client_id: NOTES.client_id,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
        state: 'from-a-form',
      };
      // Posted from the app's page: another site, so the cross-site guard must let it through.
      const posted = await browser
        .post('/oauth2/logout')
        .set('Origin', 'http://notes.example.test')
        .set('Sec-Fetch-Site', 'cross-site')
        .type('form')
        .send(form)
        .expect(303);
      await stillSignedIn(browser);
      const next = new URL(posted.headers.location, live.url);
      expect(next.pathname).toBe('/oauth2/logout');
      expect(Object.fromEntries(next.searchParams)).toEqual(form);
      const back = await get(browser, next).expect(303);
      expect(back.headers.location).toBe(`${NOTES.post_logout_redirect_uris[0]}?state=from-a-form`);
      await signedOut(browser);
    });

    it('ends the session here without going anywhere when no post_logout_redirect_uri is given', async () => {
      const { browser, idToken } = await signedInToNotes();
      const back = await get(browser, await endSessionUrl({ id_token_hint: idToken })).expect(303);
      expect(new URL(back.headers.location).pathname).toBe('/login');
      await signedOut(browser);
    });

    it('takes an expired hint as long as this provider signed it', async () => {
      const { browser, idToken } = await signedInToNotes();
      const now = Math.floor(Date.now() / 1000);
      const expired = await resigned(idToken, { iat: now - 7200, exp: now - 3600 });
      const url = await endSessionUrl({
        id_token_hint: expired,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
      });
      const back = await get(browser, url).expect(303);
      expect(back.headers.location).toBe(NOTES.post_logout_redirect_uris[0]);
      await signedOut(browser);
    });

    it('with nobody signed in here, goes back to the app at once', async () => {
      const { browser, idToken } = await signedInToNotes();
      await browser.post('/auth/logout').expect(204);
      const url = await endSessionUrl({
        id_token_hint: idToken,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
        state: 's',
      });
      const back = await get(browser, url).expect(303);
      expect(back.headers.location).toBe(`${NOTES.post_logout_redirect_uris[0]}?state=s`);
    });
  });

  describe('anything short of that asks the person first, and a GET changes nothing', () => {
    /** The page asks; the browser is still signed in; the app is named only when proved. */
    async function expectAsked(browser: Browser, url: URL, appNamed = false) {
      const page = await get(browser, url).set('Accept', 'text/html').expect(200);
      expect(page.text).toContain('Sign out?');
      expect(page.text).toContain('action="/oauth2/logout/confirm"');
      expect(page.text.includes('<strong>Notes</strong> asks')).toBe(appNamed);
      await stillSignedIn(browser);
      return page;
    }

    /** The person confirms on the page with its form token: where the browser goes then. */
    async function confirm(browser: Browser, page: { text: string }, form: object) {
      const confirmed = await browser
        .post('/oauth2/logout/confirm')
        .type('form')
        .send({ ...form, _csrf: formToken(page.text) })
        .expect(303);
      await signedOut(browser);
      return confirmed.headers.location;
    }

    it('no hint: asks, and once confirmed signs out without going back to the app (nothing proves the app asked)', async () => {
      const { browser } = await signedInToNotes();
      const form = {
        client_id: NOTES.client_id,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
        state: 'abc',
      };
      const page = await expectAsked(browser, await endSessionUrl(form));
      expect(page.text).toContain('nothing shows which app asks');
      const location = await confirm(browser, page, form);
      expect(new URL(location).pathname).toBe('/login');
    });

    it('a link from another site (no parameters at all) signs nobody out, and the form needs its token and this site', async () => {
      const { browser } = await signedInToNotes();
      const page = await browser
        .get('/oauth2/logout')
        .set('Sec-Fetch-Site', 'cross-site')
        .set('Accept', 'text/html')
        .expect(200);
      await stillSignedIn(browser);
      const refused = await browser.post('/oauth2/logout/confirm').type('form').send({});
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('CSRF_TOKEN_INVALID');
      const crossSite = await browser
        .post('/oauth2/logout/confirm')
        .set('Origin', 'https://evil.example.net')
        .type('form')
        .send({ _csrf: formToken(page.text) });
      expect(crossSite.status).toBe(403);
      expect(crossSite.body.error.code).toBe('CROSS_SITE_REQUEST');
      await stillSignedIn(browser);
      // The app's form post signs nobody out either: it only leads to the GET.
      await browser
        .post('/oauth2/logout')
        .set('Origin', 'https://evil.example.net')
        .type('form')
        .send({})
        .expect(303);
      await stillSignedIn(browser);
    });

    it.each([
      ['signed with another key', 'wrong-key'],
      ['of another issuer', 'wrong-issuer'],
      ['issued to another app than client_id', 'other-audience'],
      ['unsigned (alg none)', 'none'],
      ['not a JWT at all', 'garbage'],
      ['of another kind (a logout token, signed by this provider)', 'logout-token'],
    ])('a hint %s is no hint: asks, and never goes back to the app', async (_what, forgery) => {
      const { browser, idToken } = await signedInToNotes();
      let hint: string;
      const extra: Record<string, string> = {};
      if (forgery === 'wrong-key') {
        const { privateKey } = await generateKeyPair('RS256');
        const { kid } = await providerKey();
        hint = await resigned(idToken, {}, { key: privateKey, kid });
      } else if (forgery === 'wrong-issuer') {
        hint = await resigned(idToken, { iss: 'https://issuer.example.net' });
      } else if (forgery === 'other-audience') {
        hint = (await reports.signIn(browser)).id_token!;
        extra.client_id = NOTES.client_id;
      } else if (forgery === 'logout-token') {
        const { key, kid } = await providerKey();
        const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString());
        hint = await new SignJWT({
          ...claims,
          events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        })
          .setProtectedHeader({ alg: 'RS256', kid, typ: 'logout+jwt' })
          .sign(key);
      } else if (forgery === 'none') {
        const [, payload] = idToken.split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
        hint = `${header}.${payload}.`;
      } else if (forgery === 'garbage') {
        hint = 'not.a.jwt';
      } else {
        throw new Error(`No forgery ${forgery}`);
      }
      const form = {
        id_token_hint: hint,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
        state: 'st',
        ...extra,
      };
      const url = new URL('/oauth2/logout', live.url);
      url.search = new URLSearchParams(form).toString();
      const page = await expectAsked(browser, url);
      const location = await confirm(browser, page, form);
      expect(new URL(location).pathname).toBe('/login');
    });

    it('a hint naming someone else than the person signed in here asks, and then goes back to the app', async () => {
      const someoneElse = await signedInToNotes();
      const { browser } = await signedInToNotes();
      const form = {
        id_token_hint: someoneElse.idToken,
        post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0],
      };
      const page = await expectAsked(browser, await endSessionUrl(form), true);
      expect(await confirm(browser, page, form)).toBe(NOTES.post_logout_redirect_uris[0]);
      // The other person's session is untouched.
      await stillSignedIn(someoneElse.browser);
    });

    it.each([
      ['an unregistered address', 'https://evil.example.net/'],
      ['a registered one with a query added', `${NOTES.post_logout_redirect_uris[0]}?foo=bar`],
      ["another app's", REPORTS.post_logout_redirect_uris[0]],
    ])('a valid hint with %s: asks, says so, and never redirects there', async (_what, address) => {
      const { browser, idToken } = await signedInToNotes();
      const form = { id_token_hint: idToken, post_logout_redirect_uri: address };
      const page = await expectAsked(browser, await endSessionUrl(form), true);
      expect(page.text).toContain('not one the app registered');
      const location = await confirm(browser, page, form);
      expect(new URL(location).pathname).toBe('/login');
    });
  });

  it('refuses a parameter given twice or too long, or an unknown field in a form, with a 400 naming it, and changes nothing', async () => {
    const { browser } = await signedInToNotes();
    const twice = await browser
      .get('/oauth2/logout?state=a&state=b')
      .set('Accept', 'application/json')
      .expect(400);
    expect(twice.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'state' });
    const long = await browser
      .get(`/oauth2/logout?id_token_hint=${'a'.repeat(9000)}`)
      .set('Accept', 'application/json')
      .expect(400);
    expect(long.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'id_token_hint' });
    // An app's form: the specification's fields only (logout_hint and ui_locales are ignored).
    const unknown = await browser
      .post('/oauth2/logout')
      .type('form')
      .send({ state: 's', ui_locales: 'fr', session: 'x' })
      .expect(400);
    expect(unknown.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'session' });
    const ignored = await browser
      .post('/oauth2/logout')
      .type('form')
      .send({ state: 's', ui_locales: 'fr', logout_hint: 'someone' })
      .expect(303);
    expect(ignored.headers.location).toBe('/oauth2/logout?state=s');
    await stillSignedIn(browser);
  });
});
