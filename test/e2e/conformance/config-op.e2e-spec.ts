import request from 'supertest';
import { LiveApp, startLiveApp } from '../../support/live-app';

const APP = {
  client_id: 'conformance-config',
  client_secret: 'a-secret-of-the-conformance-config-app-long',
  redirect_uris: ['http://rp.example.test/callback'],
};

/**
 * The checks of the OpenID Foundation's Config OP certification plan
 * (oidcc-config-certification-test-plan: one module, oidcc-discovery-endpoint-verification),
 * condition by condition, as far as they hold offline: the test's issuer is plain http on
 * localhost, so CheckDiscEndpointAllEndpointsAreHttps is checked as "every endpoint is under the
 * issuer" instead (PUBLIC_URL is https in production).
 */
describe('Config OP (the OpenID Foundation conformance plan, offline)', () => {
  let live: LiveApp;
  let metadata: Record<string, unknown>;
  let contentType: string;

  beforeAll(async () => {
    live = await startLiveApp({ env: { OIDC_CLIENTS: JSON.stringify([APP]) } });
    // GetDynamicServerConfiguration, EnsureDiscoveryEndpointResponseStatusCodeIs200
    const discovery = await request(live.url).get('/.well-known/openid-configuration').expect(200);
    metadata = discovery.body as Record<string, unknown>;
    contentType = String(discovery.headers['content-type']);
  });
  afterAll(() => live.close());

  const list = (name: string) => metadata[name] as unknown[];

  describe('oidcc-discovery-endpoint-verification', () => {
    it('CheckDiscoveryEndpointReturnedJsonContentType', () => {
      expect(contentType).toMatch(/^application\/json\b/);
    });

    it('CheckDiscEndpointIssuer and CheckDiscEndpointIssuerIsValidUrl: the issuer is the discovery URL without its well-known path, with no query or fragment', () => {
      expect(metadata.issuer).toBe(live.url);
      const issuer = new URL(metadata.issuer as string);
      expect(issuer.search).toBe('');
      expect(issuer.hash).toBe('');
    });

    it('OIDCCCheckDiscEndpointResponseTypesSupported: code (the basic profile)', () => {
      expect(list('response_types_supported')).toContain('code');
    });

    it('CheckDiscEndpointSubjectTypesSupported: public or pairwise', () => {
      expect(list('subject_types_supported').length).toBeGreaterThan(0);
      for (const type of list('subject_types_supported')) {
        expect(['public', 'pairwise']).toContain(type);
      }
    });

    it('OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256, and never none', () => {
      expect(list('id_token_signing_alg_values_supported')).toContain('RS256');
      expect(list('id_token_signing_alg_values_supported')).not.toContain('none');
    });

    it('OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported: absent, or with RS256', () => {
      const algs = metadata.userinfo_signing_alg_values_supported as unknown[] | undefined;
      if (algs !== undefined) expect(algs).toContain('RS256');
      else expect(metadata).not.toHaveProperty('userinfo_signing_alg_values_supported');
    });

    it('CheckDiscEndpointAuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint: present, under the issuer', () => {
      for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint']) {
        expect(String(metadata[name]).startsWith(`${live.url}/`)).toBe(true);
      }
    });

    it('CheckDiscEndpointRegistrationEndpoint: none offered (clients are the operator’s), so skipped', () => {
      expect(metadata).not.toHaveProperty('registration_endpoint');
    });

    it('CheckJwksUri, FetchServerKeys, ValidateServerJWKs, EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys', async () => {
      const jwksUri = new URL(metadata.jwks_uri as string);
      expect(jwksUri.origin).toBe(new URL(live.url).origin);
      const jwks = await request(live.url).get(jwksUri.pathname).expect(200);
      const keys = jwks.body.keys as Record<string, unknown>[];
      expect(keys.length).toBeGreaterThan(0);
      const kids = keys.map(({ kid }) => kid);
      expect(new Set(kids).size).toBe(kids.length);
      for (const key of keys) {
        expect(key).toMatchObject({
          kty: 'RSA',
          use: 'sig',
          alg: 'RS256',
          kid: expect.any(String),
          n: expect.any(String),
          e: expect.any(String),
        });
        for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
          expect(key).not.toHaveProperty(secret);
        }
      }
    });

    it('CheckDiscEndpointRequestParameterSupported, RequestUriParameterSupported, ClaimsParameterSupported: booleans, saying what is served', () => {
      // oidcc-unsigned-request-object-… and oidcc-request-uri-… (basic-op) check what they say.
      expect(metadata.request_parameter_supported ?? false).toBe(false);
      expect(metadata.request_uri_parameter_supported).toBe(false);
      expect(metadata.claims_parameter_supported ?? false).toBe(false);
    });

    it('OIDCCCheckDiscEndpointClaimsSupported: the claims given, sub among them', () => {
      expect(list('claims_supported')).toEqual(
        expect.arrayContaining([
          'sub',
          'email',
          'email_verified',
          'name',
          'preferred_username',
          'amr',
          'acr',
        ]),
      );
    });

    it('OIDCCCheckDiscEndpointGrantTypesSupported: authorization_code (refresh_token too)', () => {
      expect(list('grant_types_supported')).toEqual(
        expect.arrayContaining(['authorization_code', 'refresh_token']),
      );
      expect(list('grant_types_supported')).not.toContain('implicit');
    });

    it('CheckDiscEndpointScopesSupportedContainsOpenId and CheckDiscEndpointScopesSupportedSyntax', () => {
      expect(list('scopes_supported')).toContain('openid');
      for (const scope of list('scopes_supported')) {
        // RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E, at least one.
        expect(scope).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
      }
    });

    it('CheckDiscEndpointLocalesSyntax: ui_locales_supported and claims_locales_supported, if given, are BCP 47 tags', () => {
      for (const name of ['ui_locales_supported', 'claims_locales_supported']) {
        const locales = metadata[name] as unknown[] | undefined;
        for (const locale of locales ?? [])
          expect(locale).toMatch(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/);
      }
    });

    it('CheckDiscEndpointAllEndpointsAreHttps (offline: every endpoint under the issuer, which is https in production)', () => {
      const endpoints = Object.entries(metadata).filter(
        ([name]) => name.endsWith('_endpoint') || name === 'jwks_uri',
      );
      expect(endpoints.length).toBeGreaterThan(3);
      for (const [, url] of endpoints) {
        expect(new URL(String(url)).origin).toBe(new URL(live.url).origin);
      }
    });

    it('EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray: S256', () => {
      expect(list('code_challenge_methods_supported')).toEqual(['S256']);
    });
  });
});
