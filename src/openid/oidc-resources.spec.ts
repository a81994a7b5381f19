import { readOidcResources } from './oidc-resources';
import { openIdConfig } from './openid-config';

const ORDERS = { indicator: 'https://api.example.com', scopes: ['orders:read'] };
const read = (resources: unknown) =>
  readOidcResources({ OIDC_RESOURCES: JSON.stringify(resources) });

describe('OIDC_RESOURCES', () => {
  it('reads the APIs, with a default token lifetime of 600 seconds', () => {
    expect(
      read([ORDERS, { ...ORDERS, indicator: 'urn:billing', accessTokenTtlSeconds: 120 }]),
    ).toEqual({
      resources: [
        { ...ORDERS, accessTokenTtlSeconds: 600 },
        { ...ORDERS, indicator: 'urn:billing', accessTokenTtlSeconds: 120 },
      ],
      problems: [],
    });
    expect(readOidcResources({})).toEqual({ resources: [], problems: [] });
  });

  it.each([
    ['not an array', { indicator: 'x' }, 'OIDC_RESOURCES must be a JSON array'],
    [
      'a relative indicator',
      [{ ...ORDERS, indicator: '/api' }],
      'OIDC_RESOURCES[0].indicator: must be an absolute URI',
    ],
    [
      'a fragment',
      [{ ...ORDERS, indicator: 'https://api.example.com/#x' }],
      'OIDC_RESOURCES[0].indicator: must be an absolute URI without a fragment',
    ],
    [
      'the same indicator twice',
      [ORDERS, ORDERS],
      'OIDC_RESOURCES[1].indicator: "https://api.example.com" appears twice',
    ],
    [
      'no scopes',
      [{ ...ORDERS, scopes: [] }],
      'OIDC_RESOURCES[0].scopes: must be a non-empty array',
    ],
    [
      'a scope with a space',
      [{ ...ORDERS, scopes: ['orders read'] }],
      'OIDC_RESOURCES[0].scopes[0]: must be a scope name',
    ],
    [
      'an OpenID Connect scope',
      [{ ...ORDERS, scopes: ['orders:read', 'email'] }],
      'OIDC_RESOURCES[0].scopes[1]: "email" is an OpenID Connect scope',
    ],
    [
      'a fractional lifetime',
      [{ ...ORDERS, accessTokenTtlSeconds: 90.5 }],
      'OIDC_RESOURCES[0].accessTokenTtlSeconds: must be a whole number of seconds from 60 to 86400',
    ],
    [
      'a lifetime of a week',
      [{ ...ORDERS, accessTokenTtlSeconds: 604800 }],
      'OIDC_RESOURCES[0].accessTokenTtlSeconds: must be a whole number',
    ],
    [
      'an unknown field',
      [{ ...ORDERS, audience: 'x' }],
      'OIDC_RESOURCES[0].audience: is not supported',
    ],
  ])('names the entry and the field of a problem: %s', (_case, resources, message) => {
    expect(read(resources).problems.join('\n')).toContain(message);
  });

  it('lets clients list the APIs’ scopes, and only those declared', () => {
    const backend = {
      client_id: 'warehouse',
      client_secret: 'a-secret-that-is-long-enough-for-this',
      grant_types: ['client_credentials'],
      scope: 'orders:read',
    };
    const config = openIdConfig.fromEnvironment({
      OIDC_RESOURCES: JSON.stringify([ORDERS]),
      OIDC_CLIENTS: JSON.stringify([backend]),
    });
    expect(config.oidcResources).toHaveLength(1);
    expect(config.oidcClients[0]).toMatchObject({
      scope: 'orders:read',
      redirect_uris: [],
      response_types: [],
    });
    expect(() => openIdConfig.fromEnvironment({ OIDC_CLIENTS: JSON.stringify([backend]) })).toThrow(
      /OIDC_CLIENTS\[0\]\.scope: must be a space-separated list/,
    );
    expect(() =>
      openIdConfig.fromEnvironment({
        OIDC_RESOURCES: JSON.stringify([{ ...ORDERS, scopes: 'x' }]),
      }),
    ).toThrow(/OIDC_RESOURCES\[0\]\.scopes/);
  });
});
