import { createLocalJWKSet, type JSONWebKeySet, jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import request from 'supertest';
import { LiveApp, startLiveApp } from '../../support/live-app';
import { type Browser, formToken } from '../../support/oidc-browser';
import { RelyingParty } from '../../support/relying-party';
import { waitFor } from '../../support/wait-for';
import { WebhookReceiver } from '../../support/webhook-receiver';

/**
 * The static client the OpenID Foundation's conformance suite asks for in its logout plans: a
 * post_logout_redirect_uri beside the redirect URI, and (back-channel plan) a
 * backchannel_logout_uri with backchannel_logout_session_required, as its dynamic registration
 * would send.
 */
const SUITE = {
  client_id: 'conformance-suite',
  client_secret: 'a-secret-of-the-conformance-suite-client-long-enough',
  redirect_uris: ['http://suite.example.test/test/a/accounts/callback'],
  post_logout_redirect_uris: ['http://suite.example.test/test/a/accounts/post_logout_redirect'],
  backchannel_logout_session_required: true,
};

/**
 * The modules of the conformance suite's RP-Initiated Logout OP plan
 * (oidcc-rp-initiated-logout-certification-test-plan) and Back-Channel Logout OP plan
 * (oidcc-backchannel-rp-initiated-logout-certification-test-plan), walked offline: each test does
 * what the module does, with openid-client as the suite's relying party, and checks what the
 * module checks. Where the module asks a person to judge a screenshot ("an error screen or a
 * confirmation"), the test checks that page instead.
 */
describe('conformance: RP-initiated and back-channel logout', () => {
  let backchannel: WebhookReceiver;
  let live: LiveApp;
  let suite: RelyingParty;

  beforeAll(async () => {
    backchannel = await WebhookReceiver.start();
    live = await startLiveApp({
      env: {
        OIDC_CLIENTS: JSON.stringify([{ ...SUITE, backchannel_logout_uri: backchannel.url }]),
      },
    });
    suite = new RelyingParty(live, SUITE);
  });
  afterAll(async () => {
    await live?.close();
    await backchannel?.stop();
  });

  /** The module's "normal authorization flow at the OP": a signed-in browser and its ID token. */
  async function authorizationFlow() {
    const signedIn = await suite.signedInBrowser();
    const tokens = await suite.signIn(signedIn.browser, 'openid');
    return { ...signedIn, idToken: tokens.id_token!, claims: tokens.claims()! };
  }

  /** The end_session_endpoint request as the module builds it, sent by the browser. */
  async function endSession(browser: Browser, parameters: Record<string, string>) {
    const url = client.buildEndSessionUrl(await suite.discover(), parameters);
    return browser.get(url.pathname + url.search).set('Accept', 'text/html');
  }

  const PLR = SUITE.post_logout_redirect_uris[0];

  /** The module's check that the logout happened: prompt=none now answers login_required. */
  async function expectLoggedOut(browser: Browser) {
    await browser.get('/me').expect(401);
    const silent = await suite.silentSignIn(browser);
    expect(silent.searchParams.get('error')).toBe('login_required');
  }

  /** "The OP must not redirect back": a page that asks first, the person still signed in. */
  async function expectConfirmationInsteadOfRedirect(response: request.Response, browser: Browser) {
    expect(response.status).toBe(200);
    expect(response.headers.location).toBeUndefined();
    expect(response.text).toContain('id="logout-confirm"');
    expect(response.text).not.toContain(`action="${PLR}`);
    await browser.get('/me').expect(200);
  }

  /** The person confirms: the signed-out page here, never the app's address. */
  async function confirmAndExpectSignedOutPage(
    response: request.Response,
    browser: Browser,
    form: Record<string, string>,
  ) {
    const confirmed = await browser
      .post('/oauth2/logout/confirm')
      .type('form')
      .send({ ...form, _csrf: formToken(response.text) })
      .expect(303);
    expectSignedOutPage(confirmed.headers.location);
    await expectLoggedOut(browser);
  }

  /** The OP's own "you are logged out" page, not the post_logout_redirect_uri. */
  function expectSignedOutPage(location: string) {
    expect(location.startsWith(PLR)).toBe(false);
    expect(new URL(location, live.url).pathname).toBe('/login');
  }

  describe('oidcc-rp-initiated-logout-certification-test-plan', () => {
    it('oidcc-rp-initiated-logout-discovery-endpoint-verification', async () => {
      const metadata = (await suite.discover()).serverMetadata();
      expect(metadata.end_session_endpoint).toBe(`${live.url}/oauth2/logout`);
      expect(metadata.issuer).toBe(live.url);
    });

    it('oidcc-rp-initiated-logout', async () => {
      const { browser, idToken } = await authorizationFlow();
      const state = client.randomState();
      const response = await endSession(browser, {
        id_token_hint: idToken,
        post_logout_redirect_uri: PLR,
        state,
      });
      expect(response.status).toBe(303);
      const back = new URL(response.headers.location);
      // CheckPostLogoutState, CheckForUnexpectedParametersInPostLogoutRedirect.
      expect(`${back.origin}${back.pathname}`).toBe(PLR);
      expect(Object.fromEntries(back.searchParams)).toEqual({ state });
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-no-state', async () => {
      const { browser, idToken } = await authorizationFlow();
      const response = await endSession(browser, {
        id_token_hint: idToken,
        post_logout_redirect_uri: PLR,
      });
      expect(response.status).toBe(303);
      // CheckNoPostLogoutState.
      expect(response.headers.location).toBe(PLR);
      await expectLoggedOut(browser);
    });

    it('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri', async () => {
      const { browser, idToken } = await authorizationFlow();
      const form = {
        id_token_hint: idToken,
        post_logout_redirect_uri: 'http://suite.example.test/test/a/accounts/not_registered',
        state: client.randomState(),
      };
      const response = await endSession(browser, form);
      await expectConfirmationInsteadOfRedirect(response, browser);
      expect(response.text).toContain('not one the app registered');
      await confirmAndExpectSignedOutPage(response, browser, form);
    });

    it('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri', async () => {
      const { browser, idToken } = await authorizationFlow();
      const form = {
        id_token_hint: idToken,
        post_logout_redirect_uri: `${PLR}?foo=bar`,
        state: client.randomState(),
      };
      const response = await endSession(browser, form);
      await expectConfirmationInsteadOfRedirect(response, browser);
      await confirmAndExpectSignedOutPage(response, browser, form);
    });

    it('oidcc-rp-initiated-logout-modified-id-token-hint', async () => {
      const { browser, idToken } = await authorizationFlow();
      // ChangeIdTokenToAlgNone: the same claims, `alg: none`, no signature.
      const [, payload] = idToken.split('.');
      const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
      const form = { id_token_hint: none, post_logout_redirect_uri: PLR, state: 's' };
      const response = await endSession(browser, form);
      await expectConfirmationInsteadOfRedirect(response, browser);
      await confirmAndExpectSignedOutPage(response, browser, form);
    });

    it('oidcc-rp-initiated-logout-bad-id-token-hint', async () => {
      const { browser, claims } = await authorizationFlow();
      // SignFakeIdToken with GenerateJWKsFromClientSecret: the claims, signed by the suite (HS256).
      const fake = await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(SUITE.client_secret));
      const form = { id_token_hint: fake, post_logout_redirect_uri: PLR, state: 's' };
      const response = await endSession(browser, form);
      await expectConfirmationInsteadOfRedirect(response, browser);
      await confirmAndExpectSignedOutPage(response, browser, form);
    });

    it('oidcc-rp-initiated-logout-no-id-token-hint', async () => {
      const { browser } = await authorizationFlow();
      const form = { post_logout_redirect_uri: PLR, state: 's', client_id: SUITE.client_id };
      const response = await endSession(browser, form);
      await expectConfirmationInsteadOfRedirect(response, browser);
      await confirmAndExpectSignedOutPage(response, browser, form);
    });

    it('oidcc-rp-initiated-logout-no-params', async () => {
      const { browser } = await authorizationFlow();
      const response = await browser.get('/oauth2/logout').set('Accept', 'text/html');
      await expectConfirmationInsteadOfRedirect(response, browser);
      await confirmAndExpectSignedOutPage(response, browser, {});
    });

    it('oidcc-rp-initiated-logout-only-state', async () => {
      const { browser } = await authorizationFlow();
      const form = { state: client.randomState() };
      const response = await browser
        .get(`/oauth2/logout?${new URLSearchParams(form).toString()}`)
        .set('Accept', 'text/html');
      await expectConfirmationInsteadOfRedirect(response, browser);
      await confirmAndExpectSignedOutPage(response, browser, form);
    });

    it('oidcc-rp-initiated-logout-no-post-logout-redirect-uri', async () => {
      const { browser, idToken } = await authorizationFlow();
      const response = await endSession(browser, { id_token_hint: idToken });
      expect(response.status).toBe(303);
      expectSignedOutPage(response.headers.location);
      await expectLoggedOut(browser);
    });
  });

  describe('oidcc-backchannel-rp-initiated-logout-certification-test-plan', () => {
    it('oidcc-backchannel-logout-discovery-endpoint-verification', async () => {
      const metadata = (await suite.discover()).serverMetadata();
      expect(metadata).toMatchObject({
        end_session_endpoint: `${live.url}/oauth2/logout`,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
      });
    });

    it('oidcc-backchannel-rp-initiated-logout', async () => {
      const { browser, idToken, claims } = await authorizationFlow();
      const state = client.randomState();
      const response = await endSession(browser, {
        id_token_hint: idToken,
        post_logout_redirect_uri: PLR,
        state,
      });
      expect(response.status).toBe(303);
      expect(response.headers.location).toBe(`${PLR}?state=${state}`);

      // ExtractLogoutTokenFromBackchannelLogoutRequest: a form post with logout_token only.
      const isFor = (body: string) => {
        const token = new URLSearchParams(body).get('logout_token') ?? '';
        const [, payload = ''] = token.split('.');
        return Buffer.from(payload, 'base64url').toString('utf8').includes(claims.sub);
      };
      await waitFor(() => backchannel.received.some(({ body }) => isFor(body)), {
        what: 'the logout token',
      });
      const requests = backchannel.received.filter(({ body }) => isFor(body));
      expect(requests).toHaveLength(1);
      const [received] = requests;
      expect(received.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect([...new URLSearchParams(received.body).keys()]).toEqual(['logout_token']);

      // ValidateLogoutTokenSignature, ValidateLogoutTokenClaims.
      const jwks = (await request(live.url).get('/.well-known/jwks.json').expect(200))
        .body as JSONWebKeySet;
      const { payload } = await jwtVerify(
        new URLSearchParams(received.body).get('logout_token')!,
        createLocalJWKSet(jwks),
        { issuer: live.url, audience: SUITE.client_id, typ: 'logout+jwt' },
      );
      expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.iat).toEqual(expect.any(Number));
      // CheckIdTokenSubMatchesLogoutToken, CheckIdTokenSidMatchesLogoutToken, CheckLogoutTokenNoNonce.
      expect(payload.sub).toBe(claims.sub);
      expect(payload.sid).toBe(claims.sid);
      expect(payload).not.toHaveProperty('nonce');

      await expectLoggedOut(browser);
    });
  });
});
