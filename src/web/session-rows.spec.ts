import type { SessionView } from '../sign-in/sessions/session.view';
import { sessionRows } from './session-rows';

const PROVIDERS = [{ key: 'okta', name: 'Okta' }];

function view(overrides: Partial<SessionView> = {}): SessionView {
  return {
    id: 'q7Cq0cP1v8nS1cXo2b3ZkQ',
    current: true,
    createdAt: new Date('2025-01-02T03:04:05Z'),
    lastSeenAt: new Date('2025-03-04T15:16:17Z'),
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    ip: '::ffff:203.0.113.7',
    signedInWith: 'password',
    secondFactor: null,
    ...overrides,
  };
}

describe('sessionRows', () => {
  it('puts a session in words: device, address, method and UTC times', () => {
    expect(sessionRows([view()], PROVIDERS)).toEqual([
      {
        id: 'q7Cq0cP1v8nS1cXo2b3ZkQ',
        current: true,
        device: 'Firefox on Linux',
        userAgent: view().userAgent,
        address: '203.0.113.7',
        signedInWith: 'Password',
        createdAt: { iso: '2025-01-02T03:04:05.000Z', text: '2 Jan 2025, 03:04 UTC' },
        lastSeenAt: { iso: '2025-03-04T15:16:17.000Z', text: '4 Mar 2025, 15:16 UTC' },
      },
    ]);
  });

  it.each([
    ['okta', 'Okta'],
    ['a-removed-provider', 'a-removed-provider'],
    ['passkey', 'Passkey'],
    [null, 'Unknown'],
  ])('calls the method %s "%s"', (signedInWith, name) => {
    expect(sessionRows([view({ signedInWith })], PROVIDERS)[0].signedInWith).toBe(name);
  });

  it.each([
    ['totp', 'Password and a code'],
    ['recovery_code', 'Password and a recovery code'],
  ] as const)('names the second factor %s: "%s"', (secondFactor, name) => {
    expect(sessionRows([view({ secondFactor })], PROVIDERS)[0].signedInWith).toBe(name);
  });

  it('keeps IPv6 addresses and says when there is none', () => {
    expect(sessionRows([view({ ip: '2001:db8::1' })], [])[0].address).toBe('2001:db8::1');
    expect(sessionRows([view({ ip: null, userAgent: null })], [])[0]).toMatchObject({
      address: 'Unknown',
      device: 'Unknown device',
      userAgent: '',
    });
  });
});
