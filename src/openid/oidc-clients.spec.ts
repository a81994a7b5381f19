import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVICE_CODE_GRANT, readOidcClients } from './oidc-clients';
import { openIdConfig } from './openid-config';

const CONFIDENTIAL = {
  client_id: 'notes',
  client_secret: 'a-secret-that-is-long-enough-for-this',
  redirect_uris: ['https://notes.example.com/callback'],
};
const read = (clients: unknown) => readOidcClients({ OIDC_CLIENTS: JSON.stringify(clients) });
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PUBLIC_JWK = publicKey.export({ format: 'jwk' });
const PRIVATE_JWK = privateKey.export({ format: 'jwk' });
const KEY_CLIENT = {
  client_id: 'reports',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [PUBLIC_JWK] },
  grant_types: ['client_credentials'],
  scope: 'openid',
};

describe('OIDC_CLIENTS', () => {
  it('reads confidential and public clients with the defaults of RFC 7591 metadata', () => {
    const { clients, problems } = read([
      CONFIDENTIAL,
      { client_id: 'spa', redirect_uris: ['http://localhost:5173/cb'], client_name: 'SPA' },
    ]);
    expect(problems).toEqual([]);
    expect(clients).toEqual([
      {
        ...CONFIDENTIAL,
        token_endpoint_auth_method: 'client_secret_basic',
        post_logout_redirect_uris: [],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'openid email profile offline_access data',
        first_party: true,
      },
      expect.objectContaining({ client_id: 'spa', token_endpoint_auth_method: 'none' }),
    ]);
  });

  it.each([
    [
      'a client_id with a space',
      [{ ...CONFIDENTIAL, client_id: 'has space' }],
      'OIDC_CLIENTS[0].client_id: must be 1-128',
    ],
    [
      'a short secret',
      [{ ...CONFIDENTIAL, client_secret: 'short' }],
      'OIDC_CLIENTS[0].client_secret: must be',
    ],
    [
      'no redirect URI',

      [{ ...CONFIDENTIAL, redirect_uris: [] }],
      'OIDC_CLIENTS[0].redirect_uris: must be a non-empty',
    ],
    [
      'a relative redirect URI in the second entry',

      [CONFIDENTIAL, { ...CONFIDENTIAL, client_id: 'b', redirect_uris: ['notes/cb'] }],
      'OIDC_CLIENTS[1].redirect_uris[0]: must be an absolute http(s) URL',
    ],
    [
      'a scope without openid',

      [{ ...CONFIDENTIAL, scope: 'email' }],
      'OIDC_CLIENTS[0].scope: must be a space-separated list',
    ],
    [
      'an implicit grant',
      [{ ...CONFIDENTIAL, grant_types: ['implicit'] }],
      'OIDC_CLIENTS[0].grant_types: must list',
    ],
    [
      'an unsupported field',
      [{ ...CONFIDENTIAL, jwks_uri: 'https://x' }],
      'OIDC_CLIENTS[0].jwks_uri: is not supported',
    ],
    [
      'a secret method on a public client',

      [
        {
          client_id: 'p',
          redirect_uris: ['https://p/cb'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      'OIDC_CLIENTS[0].token_endpoint_auth_method: must be "none"',
    ],
    [
      'the same client_id twice',
      [CONFIDENTIAL, CONFIDENTIAL],
      'OIDC_CLIENTS: client_id "notes" appears twice',
    ],
    ['an object instead of an array', { client_id: 'x' }, 'OIDC_CLIENTS must be a JSON array'],
    [
      'first_party as a string',
      [{ ...CONFIDENTIAL, first_party: 'false' }],
      'OIDC_CLIENTS[0].first_party: must be true or false',
    ],
    [
      'a private key in jwks',
      [{ ...KEY_CLIENT, jwks: { keys: [PRIVATE_JWK] } }],
      'OIDC_CLIENTS[0].jwks.keys[0]: holds a private key (d): register the public key only',
    ],
    [
      'a symmetric key in jwks',
      [{ ...KEY_CLIENT, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }],
      'OIDC_CLIENTS[0].jwks.keys[0]: holds a private key (k)',
    ],
    [
      'private_key_jwt without jwks',
      [{ ...KEY_CLIENT, jwks: undefined }],
      'OIDC_CLIENTS[0].jwks: is required for token_endpoint_auth_method "private_key_jwt"',
    ],
    [
      'jwks on a client with a secret',
      [{ ...CONFIDENTIAL, jwks: { keys: [PUBLIC_JWK] } }],
      'OIDC_CLIENTS[0].jwks: is only for token_endpoint_auth_method "private_key_jwt"',
    ],
    [
      'client_credentials for a public client',
      [
        {
          client_id: 'p',
          redirect_uris: ['https://p/cb'],
          grant_types: ['authorization_code', 'client_credentials'],
        },
      ],
      'OIDC_CLIENTS[0].grant_types: client_credentials is for a client that authenticates',
    ],
    [
      'refresh_token without authorization_code',
      [{ ...CONFIDENTIAL, grant_types: ['client_credentials', 'refresh_token'], scope: 'openid' }],
      'OIDC_CLIENTS[0].grant_types: must list authorization_code',
    ],
    [
      'a non-boolean dpop_bound_access_tokens',
      [{ ...CONFIDENTIAL, dpop_bound_access_tokens: 'yes' }],
      'OIDC_CLIENTS[0].dpop_bound_access_tokens: must be true or false',
    ],
  ])('names the entry and the field of a problem: %s', (_case, clients, message) => {
    const { problems } = read(clients);
    expect(problems.join('\n')).toContain(message);
  });

  it('reads a device-only public client (a CLI): no redirect_uris, no response types', () => {
    const { clients, problems } = read([
      { client_id: 'cli', grant_types: [DEVICE_CODE_GRANT, 'refresh_token'] },
    ]);
    expect(problems).toEqual([]);
    expect(clients[0]).toMatchObject({
      client_id: 'cli',
      token_endpoint_auth_method: 'none',
      redirect_uris: [],
      grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
      response_types: [],
    });
    // A client of the code flow still needs its redirect_uris.
    expect(
      read([{ client_id: 'tv', grant_types: ['authorization_code', DEVICE_CODE_GRANT] }]).problems,
    ).toEqual(['OIDC_CLIENTS[0].redirect_uris: must be a non-empty array of absolute URLs']);
    expect(
      read([{ client_id: 'r', grant_types: ['refresh_token'] }]).problems.join('\n'),
    ).toContain(`grant_types: must list authorization_code or ${DEVICE_CODE_GRANT}`);
  });

  it('takes an app of another party (first_party: false), which shows the consent page', () => {
    const { clients, problems } = read([
      { ...CONFIDENTIAL, first_party: false },
      { ...CONFIDENTIAL, client_id: 'own', first_party: true },
    ]);
    expect(problems).toEqual([]);
    expect(clients.map(({ client_id, first_party }) => ({ client_id, first_party }))).toEqual([
      { client_id: 'notes', first_party: false },
      { client_id: 'own', first_party: true },
    ]);
  });

  it('reads backends, client_secret_jwt, private_key_jwt with public keys, and DPoP-bound clients', () => {
    const { clients, problems } = read([
      KEY_CLIENT,
      { ...CONFIDENTIAL, client_id: 'jwt', token_endpoint_auth_method: 'client_secret_jwt' },
      { ...CONFIDENTIAL, client_id: 'bound', dpop_bound_access_tokens: true },
    ]);
    expect(problems).toEqual([]);
    expect(clients).toEqual([
      {
        ...KEY_CLIENT,
        redirect_uris: [],
        post_logout_redirect_uris: [],
        response_types: [],
        first_party: true,
      },
      expect.objectContaining({
        client_id: 'jwt',
        token_endpoint_auth_method: 'client_secret_jwt',
      }),
      expect.objectContaining({ client_id: 'bound', dpop_bound_access_tokens: true }),
    ]);
  });

  it('reads OIDC_CLIENTS_FILE, and refuses both variables at once', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clients-')), 'clients.json');
    writeFileSync(file, JSON.stringify([CONFIDENTIAL]));
    expect(readOidcClients({ OIDC_CLIENTS_FILE: file }).clients).toHaveLength(1);
    expect(readOidcClients({ OIDC_CLIENTS_FILE: file, OIDC_CLIENTS: '[]' }).problems).toEqual([
      'Set OIDC_CLIENTS or OIDC_CLIENTS_FILE, not both',
    ]);
  });

  it('reads require_pushed_authorization_requests (RFC 9126), a boolean', () => {
    const { clients, problems } = read([
      { ...CONFIDENTIAL, require_pushed_authorization_requests: true },
    ]);
    expect(problems).toEqual([]);
    expect(clients[0].require_pushed_authorization_requests).toBe(true);
    expect(read([CONFIDENTIAL]).clients[0]).not.toHaveProperty(
      'require_pushed_authorization_requests',
    );
    expect(read([{ ...CONFIDENTIAL, require_pushed_authorization_requests: 'yes' }])).toEqual({
      clients: [],
      problems: ['OIDC_CLIENTS[0].require_pushed_authorization_requests: must be true or false'],
    });
  });

  it('refuses client metadata this service does not offer, such as unsigned ID tokens (oidcc-idtoken-unsigned)', () => {
    const { clients, problems } = read([{ ...CONFIDENTIAL, id_token_signed_response_alg: 'none' }]);
    expect(clients).toEqual([]);
    expect(problems).toEqual([
      expect.stringMatching(/^OIDC_CLIENTS\[0\]\.id_token_signed_response_alg: is not supported/),
    ]);
  });

  it('stops start-up with every problem, and needs OIDC_KEY_SECRET in production', () => {
    expect(() =>
      openIdConfig.fromEnvironment({ OIDC_CLIENTS: JSON.stringify([{ client_id: 'x' }]) }),
    ).toThrow(/OIDC_CLIENTS\[0\]\.redirect_uris/);
    expect(() =>
      openIdConfig.fromEnvironment({
        NODE_ENV: 'production',
        MONGODB_URI: 'mongodb://db/accounts',
        SMTP_URL: 'smtp://mail.example.com',
        MAIL_FROM: 'a@example.com',
        OIDC_CLIENTS: JSON.stringify([CONFIDENTIAL]),
      }),
    ).toThrow(/OIDC_KEY_SECRET is required/);
  });
});

describe('OIDC_CLIENTS: back-channel logout', () => {
  it('reads backchannel_logout_uri (also on the operator’s own network) and backchannel_logout_session_required', () => {
    const { clients, problems } = read([
      {
        ...CONFIDENTIAL,
        backchannel_logout_uri: 'http://10.0.0.7:8080/logout?from=accounts',
        backchannel_logout_session_required: true,
      },
    ]);
    expect(problems).toEqual([]);
    expect(clients[0]).toMatchObject({
      backchannel_logout_uri: 'http://10.0.0.7:8080/logout?from=accounts',
      backchannel_logout_session_required: true,
    });
    expect(read([CONFIDENTIAL]).clients[0]).not.toHaveProperty('backchannel_logout_uri');
  });

  it.each([
    [{ backchannel_logout_uri: 'notes/logout' }, 'backchannel_logout_uri: must be an absolute'],
    [{ backchannel_logout_uri: 'https://n/logout#x' }, 'backchannel_logout_uri: must be'],
    [{ backchannel_logout_uri: ['https://n/logout'] }, 'backchannel_logout_uri: must be'],
    [
      { backchannel_logout_uri: 'https://n/l', backchannel_logout_session_required: 'yes' },
      'backchannel_logout_session_required: must be true or false',
    ],
    [
      { backchannel_logout_session_required: true },
      'backchannel_logout_session_required: needs a backchannel_logout_uri',
    ],
  ])('names the field of a problem: %j', (fields, message) => {
    expect(read([{ ...CONFIDENTIAL, ...fields }]).problems.join('\n')).toContain(
      `OIDC_CLIENTS[0].${message}`,
    );
  });
});
