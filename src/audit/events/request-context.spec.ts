import type { Request } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestContext } from './request-context';

function requestFrom(ip: string, userAgent: string): Request {
  return { ip, headers: { 'user-agent': userAgent } } as unknown as Request;
}

describe('RequestContext', () => {
  const context = new RequestContext();

  it('knows the address and user agent of the request it runs in, across awaits', async () => {
    const seen = await new Promise((resolve) =>
      context.enter(requestFrom('203.0.113.7', 'curl/8.5.0'), () => {
        void sleep(5).then(() => resolve(context.client));
      }),
    );
    expect(seen).toEqual({ ip: '203.0.113.7', userAgent: 'curl/8.5.0' });
  });

  it('names the actor a guard set, for this request only', async () => {
    const actors = await Promise.all(
      ['a', 'b'].map(
        (id) =>
          new Promise((resolve) =>
            context.enter(requestFrom('198.51.100.1', id), () => {
              context.setActor({ kind: 'user', id });
              void sleep(5).then(() => resolve(context.actor));
            }),
          ),
      ),
    );
    expect(actors).toEqual([
      { kind: 'user', id: 'a' },
      { kind: 'user', id: 'b' },
    ]);
  });

  it('shortens a long user agent to 256 characters', () => {
    let userAgent: string | undefined;
    context.enter(requestFrom('198.51.100.1', 'x'.repeat(1000)), () => {
      userAgent = context.client.userAgent;
    });
    expect(userAgent).toHaveLength(256);
  });

  it('is anonymous and knows no client outside a request; runAs names the actor', async () => {
    expect(context.actor).toEqual({ kind: 'anonymous' });
    expect(context.client).toEqual({});
    context.setActor({ kind: 'user', id: 'nobody' });
    expect(context.actor).toEqual({ kind: 'anonymous' });
    const actor = await context.runAs({ kind: 'cli' }, async () => {
      await sleep(1);
      return context.actor;
    });
    expect(actor).toEqual({ kind: 'cli' });
  });
});
