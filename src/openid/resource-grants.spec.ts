import { apisAsked } from './resource-grants';

const ORDERS = {
  indicator: 'https://orders.example.test',
  scopes: ['orders:read', 'orders:write'],
  accessTokenTtlSeconds: 600,
};
const BILLING = { indicator: 'urn:billing', scopes: ['billing:read'], accessTokenTtlSeconds: 600 };
const RESOURCES = [ORDERS, BILLING];

describe("apisAsked: what approving a device's request grants for APIs", () => {
  it('grants each API named the scopes asked for that it has and the app may ask for', () => {
    expect(
      apisAsked(
        { resource: ORDERS.indicator, scope: 'openid orders:read orders:write billing:read' },
        'openid orders:read billing:read',
        RESOURCES,
      ),
    ).toEqual([{ indicator: ORDERS.indicator, scopes: ['orders:read'] }]);
    expect(
      apisAsked(
        {
          resource: [ORDERS.indicator, BILLING.indicator, ORDERS.indicator],
          scope: 'orders:read billing:read',
        },
        'orders:read billing:read',
        RESOURCES,
      ),
    ).toEqual([
      { indicator: ORDERS.indicator, scopes: ['orders:read'] },
      { indicator: BILLING.indicator, scopes: ['billing:read'] },
    ]);
  });

  it('grants nothing for no API, an undeclared one, or one of whose scopes none was asked for', () => {
    expect(apisAsked({ scope: 'openid orders:read' }, 'openid orders:read', RESOURCES)).toEqual([]);
    expect(
      apisAsked(
        { resource: 'https://unknown.example.test', scope: 'orders:read' },
        'orders:read',
        RESOURCES,
      ),
    ).toEqual([]);
    expect(
      apisAsked(
        { resource: BILLING.indicator, scope: 'openid orders:read' },
        'openid orders:read billing:read',
        RESOURCES,
      ),
    ).toEqual([]);
    expect(apisAsked({ resource: ORDERS.indicator, scope: 42 }, 'orders:read', RESOURCES)).toEqual(
      [],
    );
  });
});
