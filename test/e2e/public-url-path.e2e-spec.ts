import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { startGoogleEmulator, OAuthEmulator, signInAtProvider } from '../support/providers';
import { newIdentity } from '../support/social';
import { createTestApp, TestApp } from '../support/test-app';

const PREFIX = '/accounts';
const PUBLIC_URL = `http://localhost:3000${PREFIX}`;

/**
 * The service behind a reverse proxy that serves it under a path (PUBLIC_URL=…/accounts) and strips
 * that path before passing requests on. Browsers see only the prefixed paths, and send cookies only
 * to the paths those cookies were set for.
 */
describe('under a path of PUBLIC_URL, behind a prefix-stripping proxy', () => {
  let t: TestApp;
  let google: OAuthEmulator;
  let proxy: (request: IncomingMessage, response: ServerResponse) => void;

  beforeAll(async () => {
    google = await startGoogleEmulator({ publicUrl: PUBLIC_URL });
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        ...google.env(),
        OIDC_CLIENTS: JSON.stringify([
          {
            client_id: 'notes',
            client_secret: 'a-secret-of-the-notes-app-that-is-long-enough',
            redirect_uris: ['http://notes.example.test/callback'],
          },
        ]),
      },
    });
    const app = t.app.getHttpAdapter().getInstance() as typeof proxy;
    proxy = (req, res) => {
      if (
        req.url === PREFIX ||
        req.url?.startsWith(`${PREFIX}/`) ||
        req.url?.startsWith(`${PREFIX}?`)
      ) {
        req.url = req.url.slice(PREFIX.length) || '/';
        app(req, res);
      } else {
        res.statusCode = 404;
        res.end();
      }
    };
  });
  afterAll(async () => {
    await t.close();
    await google.close();
  });

  it('completes a social sign-in: the flow cookie is scoped to the prefixed callback path', async () => {
    const browser = request.agent(proxy);
    const start = await browser.get(`${PREFIX}/auth/google`).expect(302);
    const flowCookie = (start.headers['set-cookie'] as unknown as string[]).find((line) =>
      line.startsWith('sid_flow='),
    );
    expect(flowCookie).toMatch(/; Path=\/accounts\/auth;/);

    const identity = newIdentity();
    google.signInAs({ id: identity.id, name: identity.name, email: identity.email });
    const callback = new URL(
      await signInAtProvider(start.headers.location, undefined, {
        publicUrl: PUBLIC_URL,
      }),
    );
    expect(callback.pathname).toBe(`${PREFIX}/auth/google/callback`);
    const finished = await browser
      .get(callback.pathname + callback.search)
      .set('Accept', 'text/html')
      .expect(302);
    expect(finished.headers.location).toBe(`${PUBLIC_URL}/`);

    const me = await browser.get(`${PREFIX}/me`).expect(200);
    expect(me.body.user).toMatchObject({ email: identity.email, providers: ['google'] });
  });

  it('sends browsers back to returnTo under the prefix', async () => {
    const browser = request.agent(proxy);
    const start = await browser
      .get(`${PREFIX}/auth/google?returnTo=${encodeURIComponent('/settings')}`)
      .expect(302);
    google.signInAs(newIdentity());
    const callback = new URL(
      await signInAtProvider(start.headers.location, undefined, {
        publicUrl: PUBLIC_URL,
      }),
    );
    const finished = await browser
      .get(callback.pathname + callback.search)
      .set('Accept', 'text/html')
      .expect(302);
    expect(finished.headers.location).toBe(`${PUBLIC_URL}/settings`);
  });
  it('runs the OpenID Connect provider under the path: issuer, endpoints and redirects', async () => {
    const discovery = await request(proxy).get(`${PREFIX}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.body).toMatchObject({
      issuer: PUBLIC_URL,
      authorization_endpoint: `${PUBLIC_URL}/oauth2/authorize`,
      token_endpoint: `${PUBLIC_URL}/oauth2/token`,
      jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
      end_session_endpoint: `${PUBLIC_URL}/oauth2/logout`,
    });

    const browser = request.agent(proxy);
    const query = new URLSearchParams({
      client_id: 'notes',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'http://notes.example.test/callback',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const start = await browser.get(`${PREFIX}/oauth2/authorize?${query.toString()}`);
    expect(start.status).toBeGreaterThanOrEqual(300);
    const interaction = new URL(start.headers.location, PUBLIC_URL);
    expect(interaction.pathname).toMatch(/^\/accounts\/oauth2\/interaction\/[\w-]+$/);
    const toLogin = await browser.get(interaction.pathname).expect(303);
    expect(toLogin.headers.location).toBe(
      `${PREFIX}/login?returnTo=${encodeURIComponent(interaction.pathname.slice(PREFIX.length))}`,
    );
  });
});
