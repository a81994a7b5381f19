import type { EventView } from '../audit/events/event.view';
import { eventRows } from './event-rows';

const NAMES = {
  providers: [{ key: 'okta', name: 'Okta' }],
  profileFields: [{ key: 'company', label: 'Company' }],
};

function view(overrides: Partial<EventView> = {}): EventView {
  return {
    id: '6660a1f09b1e8a0012345678',
    type: 'sign_in.succeeded',
    at: new Date('2025-01-02T03:04:05Z'),
    actor: { kind: 'user', self: true },
    ip: '::ffff:203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    details: { method: 'password' },
    ...overrides,
  };
}

describe('eventRows', () => {
  it('puts an event in words: what, when (UTC), and the device and address it came from', () => {
    expect(eventRows([view()], NAMES)).toEqual([
      {
        what: 'Signed in with your password',
        at: { iso: '2025-01-02T03:04:05.000Z', text: '2 Jan 2025, 03:04 UTC' },
        from: {
          device: 'Firefox on Linux',
          userAgent: view().userAgent,
          address: '203.0.113.7',
        },
        by: undefined,
        warning: false,
      },
    ]);
  });

  it.each<[Partial<EventView>, string]>([
    [{ details: { method: 'provider', provider: 'okta' } }, 'Signed in with Okta'],
    [
      { type: 'user.created', details: { method: 'provider', provider: 'okta' } },
      'Account created with Okta',
    ],
    [{ type: 'identity.linked', details: { provider: 'okta' } }, 'Okta connected'],
    [
      {
        type: 'identity.unlinked',
        details: { provider: 'okta', reason: 'linked_before_email_verified' },
      },
      'Okta disconnected: it was connected before your email address was confirmed',
    ],
    [
      { type: 'profile.updated', details: { fields: ['name', 'data.company', 'data.gone'] } },
      'Profile updated: name, Company, gone',
    ],
    [
      { type: 'password.reset', details: { firstPassword: true } },
      'Password set with an email link',
    ],
    [
      { type: 'email.changed', details: { released: true } },
      'Email address removed: someone else proved it is theirs',
    ],
    [
      { type: 'session.revoked', details: { scope: 'others', count: 2 } },
      'Signed out everywhere else',
    ],
    [
      { type: 'sign_in.failed', details: { locked: true } },
      'Failed sign-in with a wrong password; password sign-in is now locked',
    ],
  ])('says %j as "%s"', (overrides, what) => {
    expect(eventRows([view(overrides)], NAMES)[0].what).toBe(what);
  });

  it('marks a failed sign-in as worth a look', () => {
    expect(
      eventRows(
        [view({ type: 'sign_in.failed', actor: { kind: 'anonymous', self: false } })],
        NAMES,
      )[0],
    ).toMatchObject({
      warning: true,
      by: undefined,
      from: { address: '203.0.113.7' },
    });
  });

  it('says who else acted, without a device or address', () => {
    const [row] = eventRows(
      [
        view({
          type: 'user.disabled',
          actor: { kind: 'user', self: false },
          ip: null,
          userAgent: null,
        }),
      ],
      NAMES,
    );
    expect(row).toMatchObject({
      what: 'Account disabled',
      by: 'an administrator',
      from: undefined,
    });
  });
});
