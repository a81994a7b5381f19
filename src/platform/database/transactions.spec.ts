import type { Connection } from 'mongoose';
import { Transactions } from './transactions';

/** A connection whose server answers `hello` as given. */
const connectedTo = (hello: object) =>
  ({ db: { admin: () => ({ command: () => Promise.resolve(hello) }) } }) as unknown as Connection;

describe('Transactions at start-up', () => {
  it('refuses a standalone server, which cannot run transactions, and says what to do', async () => {
    await expect(
      new Transactions(connectedTo({ isWritablePrimary: true })).onModuleInit(),
    ).rejects.toThrow(/standalone server.*replica set.*replicaSet=/);
  });

  it.each([
    ['a replica set member', { setName: 'rs0', isWritablePrimary: true }],
    ['a sharded cluster router', { msg: 'isdbgrid' }],
  ])('accepts %s', async (_what, hello) => {
    await expect(new Transactions(connectedTo(hello)).onModuleInit()).resolves.toBeUndefined();
  });
});
