import { Types } from 'mongoose';
import type { Session } from './session.schema';
import { toSessionView } from './session.view';

const HASH = 'a'.repeat(64);

function stored(overrides: Partial<Session> = {}): Session & { publicId: string } {
  const at = new Date('2025-01-02T03:04:05Z');
  return {
    _id: HASH,
    publicId: 'q7Cq0cP1v8nS1cXo2b3ZkQ',
    tokenHash: HASH,
    previousTokenHash: 'b'.repeat(64),
    userId: new Types.ObjectId(),
    createdAt: at,
    authenticatedAt: at,
    lastSeenAt: at,
    expiresAt: at,
    absoluteExpiresAt: at,
    ...overrides,
  };
}

describe('toSessionView', () => {
  it('shows the public id and the sign-in facts, never the record id or a token hash', () => {
    const view = toSessionView(
      stored({ method: 'password', userAgent: 'curl/8.5.0', ip: '203.0.113.7' }),
      'another',
    );
    expect(view).toEqual({
      id: 'q7Cq0cP1v8nS1cXo2b3ZkQ',
      current: false,
      createdAt: new Date('2025-01-02T03:04:05Z'),
      lastSeenAt: new Date('2025-01-02T03:04:05Z'),
      userAgent: 'curl/8.5.0',
      ip: '203.0.113.7',
      signedInWith: 'password',
      secondFactor: null,
    });
    expect(JSON.stringify(view)).not.toMatch(/aaaa|bbbb/);
  });

  it('marks the session making the request by its record id', () => {
    expect(toSessionView(stored(), HASH).current).toBe(true);
  });

  it.each([
    [{ method: 'password' as const }, 'password'],
    [{ method: 'provider' as const, provider: 'okta' }, 'okta'],
    [{ method: 'provider' as const }, null],
    [{}, null],
  ])('says %j signed in with %s', (proof, expected) => {
    expect(toSessionView(stored(proof), 'x').signedInWith).toBe(expected);
  });

  it('gives null for what was not recorded', () => {
    expect(toSessionView(stored(), 'x')).toMatchObject({ userAgent: null, ip: null });
  });
});
