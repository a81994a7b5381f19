import { Types } from 'mongoose';
import type { AccountEvent, Actor } from './event.schema';
import { toEventView } from './event.view';

const owner = new Types.ObjectId();
const admin = new Types.ObjectId();

function event(actor: Actor, fields: Partial<AccountEvent> = {}): AccountEvent {
  return {
    _id: new Types.ObjectId(),
    type: 'user.updated',
    userId: owner,
    actor,
    ip: '203.0.113.7',
    userAgent: 'curl/8.5.0',
    at: new Date('2025-01-02T03:04:05Z'),
    expiresAt: new Date('2025-04-02T03:04:05Z'),
    ...fields,
  };
}

describe('toEventView', () => {
  it('shows the owner where their own requests came from', () => {
    const view = toEventView(
      event({ kind: 'user', id: owner.toHexString() }, { details: { fields: ['name'] } }),
      owner,
    );
    expect(view).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      type: 'user.updated',
      at: new Date('2025-01-02T03:04:05Z'),
      actor: { kind: 'user', self: true },
      ip: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      details: { fields: ['name'] },
    });
  });

  it('shows where an attempt by nobody known came from', () => {
    const view = toEventView(event({ kind: 'anonymous' }), owner);
    expect(view).toMatchObject({ actor: { kind: 'anonymous', self: false }, ip: '203.0.113.7' });
  });

  it.each<[string, Actor]>([
    ['an administrator', { kind: 'user', id: admin.toHexString() }],
    ['an API key', { kind: 'api_key', id: 'key-1' }],
    ['the command line', { kind: 'cli' }],
  ])('hides where %s acted from, and who exactly it was', (_who, actor) => {
    const view = toEventView(event(actor), owner);
    expect(view).toMatchObject({
      actor: { kind: actor.kind, self: false },
      ip: null,
      userAgent: null,
    });
    expect(JSON.stringify(view)).not.toContain(admin.toHexString());
    expect(JSON.stringify(view)).not.toContain('key-1');
  });

  it('gives {} for an event without details, and null for an unknown address', () => {
    const view = toEventView(
      event({ kind: 'user', id: owner.toHexString() }, { ip: undefined, userAgent: undefined }),
      owner,
    );
    expect(view).toMatchObject({ details: {}, ip: null, userAgent: null });
  });
});
