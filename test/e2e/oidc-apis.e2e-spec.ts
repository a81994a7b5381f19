import { Controller, Get, type INestApplication, Module, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  SignJWT,
} from 'jose';
import * as client from 'openid-client';
import request from 'supertest';
import { LiveApp, startLiveApp } from '../support/live-app';
import { type Browser, oidcBrowsing } from '../support/oidc-browser';
import { ApiGuard, type ApiCaller } from '../../examples/api-guard';
import { CLIENT_AUTH_METHODS } from '../../src/openid/api-access';

const ORDERS = {
  indicator: 'https://orders.example.test',
  scopes: ['orders:read', 'orders:write'],
  accessTokenTtlSeconds: 300,
};
// Its TTL left out: the default, 600 seconds.
const BILLING = { indicator: 'https://billing.example.test/api', scopes: ['billing:read'] };

/** A web app that also calls the orders API as itself (client credentials). */
const SHOP = {
  client_id: 'shop',
  client_secret: 'a-secret-of-the-shop-app-that-is-long-enough',
  redirect_uris: ['http://shop.example.test/callback'],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  scope: 'openid email offline_access orders:read',
};
/** Backends, one per way to authenticate (private_key_jwt's keys are made in beforeAll). */
const POST_BACKEND = {
  client_id: 'warehouse',
  client_secret: 'a-secret-of-the-warehouse-that-is-long-enough',
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['client_credentials'],
  scope: 'orders:read orders:write',
};
const JWT_BACKEND = {
  client_id: 'invoicing',
  client_secret: 'a-secret-of-invoicing-that-is-long-enough-too',
  token_endpoint_auth_method: 'client_secret_jwt',
  grant_types: ['client_credentials'],
  scope: 'billing:read',
};
const KEY_BACKEND_ID = 'reporting';
/** A browser app (public: `none`), which binds its tokens with DPoP. */
const SPA = {
  client_id: 'spa',
  redirect_uris: ['http://spa.example.test/callback'],
  scope: 'openid email offline_access orders:read',
};
/** A backend whose every token must be DPoP-bound. */
const BOUND_BACKEND = {
  client_id: 'bound',
  client_secret: 'a-secret-of-the-bound-backend-long-enough',
  grant_types: ['client_credentials'],
  scope: 'orders:read',
  dpop_bound_access_tokens: true,
};

/** The orders API, guarded by examples/api-guard.ts exactly as the docs show it. */
function ordersApi(issuer: string) {
  @Controller('orders')
  class OrdersController {
    @Get()
    @UseGuards(new ApiGuard({ issuer, audience: ORDERS.indicator, scope: 'orders:read' }))
    list(@Req() req: { caller: ApiCaller }) {
      return { caller: req.caller.sub, app: req.caller.client_id };
    }

    @Get('write')
    @UseGuards(new ApiGuard({ issuer, audience: ORDERS.indicator, scope: 'orders:write' }))
    write() {
      return { written: true };
    }
  }
  @Module({ controllers: [OrdersController] })
  class OrdersModule {}
  return OrdersModule;
}

/**
 * This service's tokens for the team's APIs and backends, driven by openid-client (a certified
 * relying party): JWT access tokens for OIDC_RESOURCES, client credentials, every advertised
 * client authentication method, and DPoP.
 */
describe('OpenID Connect provider: APIs and backends', () => {
  let live: LiveApp;
  let api: INestApplication;
  let backendKey: client.CryptoKey;

  beforeAll(async () => {
    // openid-client's own key generation: its keys are the CryptoKeys it checks for.
    const keys = await client.randomDPoPKeyPair('RS256');
    backendKey = keys.privateKey;
    const keyBackend = {
      client_id: KEY_BACKEND_ID,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await crypto.subtle.exportKey('jwk', keys.publicKey)), alg: 'RS256' }] },
      grant_types: ['client_credentials'],
      scope: 'orders:read',
    };
    live = await startLiveApp({
      env: {
        OIDC_RESOURCES: JSON.stringify([ORDERS, BILLING]),
        OIDC_CLIENTS: JSON.stringify([
          SHOP,
          POST_BACKEND,
          JWT_BACKEND,
          keyBackend,
          SPA,
          BOUND_BACKEND,
        ]),
      },
    });
    api = await NestFactory.create(ordersApi(live.url), { logger: false });
    await api.init();
  });
  afterAll(async () => {
    await api?.close();
    await live?.close();
  });

  const oidc = oidcBrowsing(() => live.url);
  /** openid-client's view of the provider for one client, authenticating as `auth` says. */
  const discover = (id: string, auth?: client.ClientAuth) => oidc.discover(id, undefined, auth);
  const shop = () => discover(SHOP.client_id, client.ClientSecretBasic(SHOP.client_secret));
  const warehouse = () =>
    discover(POST_BACKEND.client_id, client.ClientSecretPost(POST_BACKEND.client_secret));
  const callOrders = (token: string, path = '/orders') =>
    request(api.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);

  /** An authorization code flow (PKCE) of a signed-in browser, up to the app's callback. */
  async function authorize(
    config: client.Configuration,
    browser: Browser,
    parameters: Record<string, string>,
    redirectUri: string,
  ) {
    const asked = await oidc.authorize(config, redirectUri, parameters);
    return { callback: await oidc.follow(browser, asked.url), asked };
  }

  it('advertises exactly the client authentication methods OIDC_CLIENTS can register, and DPoP', async () => {
    const metadata = (await request(live.url).get('/.well-known/openid-configuration').expect(200))
      .body as Record<string, unknown>;
    const registrable = [...CLIENT_AUTH_METHODS].sort();
    expect([...(metadata.token_endpoint_auth_methods_supported as string[])].sort()).toEqual(
      registrable,
    );
    // Introspection and revocation take the token endpoint's methods (oidc-provider 9 lists them
    // once); a list of their own would have to be the same.
    for (const endpoint of ['introspection', 'revocation']) {
      const methods = metadata[`${endpoint}_endpoint_auth_methods_supported`] as
        string[] | undefined;
      expect({ endpoint, methods: methods && [...methods].sort() }).toEqual({
        endpoint,
        methods: methods === undefined ? undefined : registrable,
      });
    }
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
  });

  it('authenticates a client of each advertised method (and refuses each one with a wrong credential)', async () => {
    const otherKey = (await client.randomDPoPKeyPair('RS256')).privateKey;
    const confidential: [string, string, client.ClientAuth, client.ClientAuth, string][] = [
      [
        'client_secret_basic',
        SHOP.client_id,
        client.ClientSecretBasic(SHOP.client_secret),
        client.ClientSecretBasic(`${SHOP.client_secret}-not`),
        ORDERS.indicator,
      ],
      [
        'client_secret_post',
        POST_BACKEND.client_id,
        client.ClientSecretPost(POST_BACKEND.client_secret),
        client.ClientSecretPost(`${POST_BACKEND.client_secret}-not`),
        ORDERS.indicator,
      ],
      [
        'client_secret_jwt',
        JWT_BACKEND.client_id,
        client.ClientSecretJwt(JWT_BACKEND.client_secret),
        client.ClientSecretJwt(`${JWT_BACKEND.client_secret}-not`),
        BILLING.indicator,
      ],
      [
        'private_key_jwt',
        KEY_BACKEND_ID,
        client.PrivateKeyJwt(backendKey),
        client.PrivateKeyJwt(otherKey),
        ORDERS.indicator,
      ],
    ];
    const tested = ['none'];
    // A wrong credential is 401 invalid_client (in WWW-Authenticate for client_secret_basic).
    for (const [method, id, auth, wrong, resource] of confidential) {
      const config = await discover(id, auth);
      const tokens = await client.clientCredentialsGrant(config, { resource });
      expect({ method, client_id: decodeJwt(tokens.access_token).client_id }).toEqual({
        method,
        client_id: id,
      });
      // Introspection authenticates the same way, and then says a JWT is for the API to verify.
      await expect(client.tokenIntrospection(config, tokens.access_token)).rejects.toMatchObject({
        error: 'unsupported_token_type',
      });
      await expect(
        client.tokenIntrospection(await discover(id, wrong), tokens.access_token),
      ).rejects.toMatchObject({ status: 401 });
      await expect(
        client.clientCredentialsGrant(await discover(id, wrong), { resource }),
      ).rejects.toMatchObject({ status: 401 });
      tested.push(method);
    }
    // `none`: the browser app below (its code flow, with PKCE and DPoP).
    expect(tested.sort()).toEqual([...CLIENT_AUTH_METHODS].sort());
  });

  it("gives an app that asks with resource= a JWT access token for that API, which the API's guard verifies locally", async () => {
    const { browser, userId } = await oidc.signedInBrowser();
    const config = await shop();
    const { callback, asked } = await authorize(
      config,
      browser,
      { scope: 'openid email orders:read', resource: ORDERS.indicator },
      SHOP.redirect_uris[0],
    );
    const tokens = await oidc.redeem(config, callback, asked, {
      parameters: { resource: ORDERS.indicator },
    });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
      typ: 'at+jwt',
      alg: 'RS256',
    });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toEqual({
      iss: live.url,
      aud: ORDERS.indicator,
      sub: userId,
      client_id: SHOP.client_id,
      scope: 'orders:read',
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: claims.iat! + ORDERS.accessTokenTtlSeconds,
    });
    expect(tokens.scope?.split(' ')).not.toContain('openid');
    expect(tokens.claims()?.sub).toBe(userId);

    // The API's guard takes it; the provider's userinfo does not (it is the API's, not ours).
    await callOrders(tokens.access_token).expect(200, { caller: userId, app: SHOP.client_id });
    await callOrders(tokens.access_token, '/orders/write').expect(403);
    await request(live.url)
      .get('/oauth2/userinfo')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(401);
  });

  it('keeps the opaque token for userinfo when the token request names no resource', async () => {
    const { browser, userId } = await oidc.signedInBrowser();
    const config = await shop();
    const { callback, asked } = await authorize(
      config,
      browser,
      { scope: 'openid email offline_access orders:read', resource: ORDERS.indicator },
      SHOP.redirect_uris[0],
    );
    const tokens = await oidc.redeem(config, callback, asked);
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect((await client.fetchUserInfo(config, tokens.access_token, userId)).sub).toBe(userId);
    await callOrders(tokens.access_token).expect(401);

    // The refresh token of that grant gets a JWT for the API it was granted, when asked.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, {
      resource: ORDERS.indicator,
    });
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: ORDERS.indicator, sub: userId });
    await callOrders(refreshed.access_token).expect(200);
  });

  it("refuses an API the app may not ask for, and a scope beyond the app's, at the authorization endpoint", async () => {
    const { browser } = await oidc.signedInBrowser();
    const config = await shop();
    const undeclared = await authorize(
      config,
      browser,
      { scope: 'openid', resource: 'https://unknown.example.test' },
      SHOP.redirect_uris[0],
    );
    expect(undeclared.callback.searchParams.get('error')).toBe('invalid_target');
    // Declared, but the shop's `scope` lists none of the billing API's scopes.
    const notTheApps = await authorize(
      config,
      browser,
      { scope: 'openid', resource: BILLING.indicator },
      SHOP.redirect_uris[0],
    );
    expect(notTheApps.callback.searchParams.get('error')).toBe('invalid_target');
    // A scope the app's `scope` does not list is refused, not dropped.
    const otherApis = await authorize(
      config,
      browser,
      { scope: 'openid billing:read', resource: ORDERS.indicator },
      SHOP.redirect_uris[0],
    );
    expect(otherApis.callback.searchParams.get('error')).toBe('invalid_scope');
    const beyond = await authorize(
      config,
      browser,
      { scope: 'openid orders:read orders:write', resource: ORDERS.indicator },
      SHOP.redirect_uris[0],
    );
    expect(beyond.callback.searchParams.get('error')).toBe('invalid_scope');
    expect(beyond.callback.searchParams.get('code')).toBeNull();
  });

  it('gives a backend (client credentials) a token for a declared API with the scopes it asks for, within its own', async () => {
    const config = await warehouse();
    const all = await client.clientCredentialsGrant(config, {
      resource: ORDERS.indicator,
      scope: 'orders:read orders:write',
    });
    expect(decodeJwt(all.access_token)).toMatchObject({
      aud: ORDERS.indicator,
      sub: POST_BACKEND.client_id,
      client_id: POST_BACKEND.client_id,
      scope: 'orders:read orders:write',
    });
    expect(all.expires_in).toBe(ORDERS.accessTokenTtlSeconds);
    await callOrders(all.access_token, '/orders/write').expect(200, { written: true });

    const some = await client.clientCredentialsGrant(config, {
      resource: ORDERS.indicator,
      scope: 'orders:read',
    });
    expect(decodeJwt(some.access_token).scope).toBe('orders:read');
    await callOrders(some.access_token).expect(200);
    await callOrders(some.access_token, '/orders/write').expect(403);
    // No scope asked for, none given (as oidc-provider does): the API's guard refuses it.
    const none = await client.clientCredentialsGrant(config, { resource: ORDERS.indicator });
    expect(decodeJwt(none.access_token)).not.toHaveProperty('scope');
    await callOrders(none.access_token).expect(403);

    const billing = await client.clientCredentialsGrant(
      await discover(JWT_BACKEND.client_id, client.ClientSecretJwt(JWT_BACKEND.client_secret)),
      { resource: BILLING.indicator, scope: 'billing:read' },
    );
    const claims = decodeJwt(billing.access_token);
    expect(claims.exp! - claims.iat!).toBe(600);
    // A token for another API is refused by this one's guard.
    await callOrders(billing.access_token).expect(401);
  });

  it.each([
    [
      'a scope of the API beyond its own',
      { resource: ORDERS.indicator, scope: 'orders:read orders:write' },
      'invalid_scope',
      KEY_BACKEND_ID,
    ],
    [
      'a scope nobody declared',
      { resource: ORDERS.indicator, scope: 'orders:delete' },
      'invalid_scope',
      POST_BACKEND.client_id,
    ],
    [
      'an undeclared API',
      { resource: 'https://unknown.example.test' },
      'invalid_target',
      POST_BACKEND.client_id,
    ],
    [
      'an API none of whose scopes it may have',
      { resource: BILLING.indicator },
      'invalid_target',
      POST_BACKEND.client_id,
    ],
    ['no API at all', {}, 'invalid_target', POST_BACKEND.client_id],
  ])('refuses a backend asking for %s', async (_case, parameters, error, id) => {
    const auth =
      id === KEY_BACKEND_ID
        ? client.PrivateKeyJwt(backendKey)
        : client.ClientSecretPost(POST_BACKEND.client_secret);
    await expect(
      client.clientCredentialsGrant(await discover(id, auth), parameters as Record<string, string>),
    ).rejects.toMatchObject({ error });
  });

  it('refuses an app registered for the browser only the client credentials grant', async () => {
    const { status, body } = await request(live.url).post('/oauth2/token').type('form').send({
      grant_type: 'client_credentials',
      client_id: SPA.client_id,
      resource: ORDERS.indicator,
    });
    expect({ status, body }).toEqual({
      status: 400,
      body: {
        error: 'invalid_request',
        error_description: 'requested grant type is not allowed for this client',
      },
    });
  });

  it("the API's guard refuses an ID token, a token whose signature was changed, and a DPoP-bound token", async () => {
    const { browser } = await oidc.signedInBrowser();
    const config = await shop();
    const { callback, asked } = await authorize(
      config,
      browser,
      { scope: 'openid orders:read', resource: ORDERS.indicator },
      SHOP.redirect_uris[0],
    );
    const tokens = await oidc.redeem(config, callback, asked, {
      parameters: { resource: ORDERS.indicator },
    });
    await callOrders(tokens.access_token).expect(200);
    // An ID token is signed by the same key, but it is not an access token (nor for this API).
    await callOrders(tokens.id_token!).expect(401);
    const [header, payload, signature] = tokens.access_token.split('.');
    const changed = `${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await callOrders(`${header}.${payload}.${changed}`).expect(401);
    // The same claims signed by another key.
    const forged = await new SignJWT(decodeJwt(tokens.access_token))
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'at+jwt',
        kid: decodeProtectedHeader(tokens.access_token).kid,
      })
      .sign((await generateKeyPair('RS256')).privateKey);
    await callOrders(forged).expect(401);
    await callOrders('').expect(401);

    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair());
    const bound = await client.clientCredentialsGrant(
      config,
      { resource: ORDERS.indicator },
      { DPoP: dpop },
    );
    expect(decodeJwt(bound.access_token).cnf).toEqual({ jkt: expect.any(String) });
    await callOrders(bound.access_token).expect(401);
  });

  describe('DPoP', () => {
    /** The browser app's sign-in with DPoP (with offline_access): its tokens and key. */
    async function spaSignIn(
      keys: client.CryptoKeyPair,
      parameters: Record<string, string> = {},
      tokenParameters?: Record<string, string>,
    ) {
      const { browser, userId } = await oidc.signedInBrowser();
      const config = await discover(SPA.client_id, client.None());
      const DPoP = client.getDPoPHandle(config, keys);
      const { callback, asked } = await authorize(
        config,
        browser,
        { scope: 'openid email offline_access', ...parameters },
        SPA.redirect_uris[0],
      );
      const tokens = await oidc.redeem(config, callback, asked, {
        parameters: tokenParameters,
        DPoP,
      });
      return { config, DPoP, tokens, userId };
    }

    it("binds a public app's access and refresh tokens to its key: userinfo and refresh need a proof of that key", async () => {
      const keys = await client.randomDPoPKeyPair();
      const { config, DPoP, tokens, userId } = await spaSignIn(keys);
      expect(tokens.token_type.toLowerCase()).toBe('dpop');
      expect((await client.fetchUserInfo(config, tokens.access_token, userId, { DPoP })).sub).toBe(
        userId,
      );

      // Without a proof (as a bearer token), or with another key's proof: refused.
      await request(live.url)
        .get('/oauth2/userinfo')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(401);
      const unproved = await request(live.url)
        .get('/oauth2/userinfo')
        .set('Authorization', `DPoP ${tokens.access_token}`);
      expect({ status: unproved.status, error: unproved.body.error }).toEqual({
        status: 400,
        error: 'invalid_request',
      });
      const otherKeys = await client.randomDPoPKeyPair();
      const other = client.getDPoPHandle(config, otherKeys);
      await expect(
        client.fetchUserInfo(config, tokens.access_token, userId, { DPoP: other }),
      ).rejects.toMatchObject({ status: 401 });

      // The refresh token too: another key's proof, or none, is refused; the same key's works.
      await expect(
        client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP: other }),
      ).rejects.toMatchObject({ error: expect.stringMatching(/^invalid_(grant|dpop_proof)$/) });
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
        error: expect.stringMatching(/^invalid_(grant|request|dpop_proof)$/),
      });
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, {
        DPoP,
      });
      expect(
        (await client.fetchUserInfo(config, refreshed.access_token, userId, { DPoP })).sub,
      ).toBe(userId);
    });

    it("puts the key's thumbprint in an API's JWT access token (cnf.jkt)", async () => {
      const keys = await client.randomDPoPKeyPair();
      const { config, DPoP, tokens, userId } = await spaSignIn(
        keys,
        { scope: 'openid offline_access orders:read', resource: ORDERS.indicator },
        { resource: ORDERS.indicator },
      );
      const thumbprint = await calculateJwkThumbprint(await exportJWK(keys.publicKey));
      expect(decodeJwt(tokens.access_token)).toMatchObject({
        aud: ORDERS.indicator,
        sub: userId,
        cnf: { jkt: thumbprint },
      });
      const refreshed = await client.refreshTokenGrant(
        config,
        tokens.refresh_token!,
        { resource: ORDERS.indicator },
        { DPoP },
      );
      const jwt = refreshed.access_token;
      expect(decodeJwt(jwt)).toMatchObject({
        aud: ORDERS.indicator,
        cnf: { jkt: thumbprint },
      });
    });

    it('requires a proof from a client registered with dpop_bound_access_tokens', async () => {
      const config = await discover(
        BOUND_BACKEND.client_id,
        client.ClientSecretBasic(BOUND_BACKEND.client_secret),
      );
      await expect(
        client.clientCredentialsGrant(config, { resource: ORDERS.indicator }),
      ).rejects.toMatchObject({ error: 'invalid_grant' });
      const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair());
      const tokens = await client.clientCredentialsGrant(
        config,
        { resource: ORDERS.indicator },
        { DPoP },
      );
      expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: expect.any(String) });
    });

    it('asks for a nonce (use_dpop_nonce) before it takes a proof, and takes one with it', async () => {
      const keys = await generateKeyPair('ES256');
      const jwk = await exportJWK(keys.publicKey);
      const proof = (nonce?: string) =>
        new SignJWT({ htm: 'POST', htu: `${live.url}/oauth2/token`, ...(nonce && { nonce }) })
          .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
          .setIssuedAt()
          .setJti(crypto.randomUUID())
          .sign(keys.privateKey);
      // The warehouse authenticates with client_secret_post.
      const asked = await request(live.url)
        .post('/oauth2/token')
        .type('form')
        .set('DPoP', await proof())
        .send({
          grant_type: 'client_credentials',
          resource: ORDERS.indicator,
          client_id: POST_BACKEND.client_id,
          client_secret: POST_BACKEND.client_secret,
        });
      expect({ status: asked.status, error: asked.body.error }).toEqual({
        status: 400,
        error: 'use_dpop_nonce',
      });
      const nonce = asked.headers['dpop-nonce'];
      expect(nonce).toEqual(expect.any(String));
      const answered = await request(live.url)
        .post('/oauth2/token')
        .type('form')
        .set('DPoP', await proof(nonce))
        .send({
          grant_type: 'client_credentials',
          resource: ORDERS.indicator,
          client_id: POST_BACKEND.client_id,
          client_secret: POST_BACKEND.client_secret,
        })
        .expect(200);
      expect(answered.body.token_type).toBe('DPoP');
    });
  });
});
