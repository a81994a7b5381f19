import type { mongo } from 'mongoose';
import type { TestApp } from './test-app';

/**
 * The collections a sign-in, a session check or a password check reads or writes. Commands to
 * others (the outbox workers poll theirs meanwhile) are not the request's; the drivers' own
 * monitoring (`hello`) is not reported as commands.
 */
const REQUEST_COLLECTIONS = ['rate_limits', 'users', 'sign_in_failures', 'events', 'sessions'];

/**
 * Each command `t` sends to those collections while `work` runs, as `<command> <collections>`;
 * `work` is given the list as it grows. `t` must be started with `monitorCommands=true` in its
 * MONGODB_URI.
 */
export async function commandsDuring(
  t: TestApp,
  work: (sentSoFar: readonly string[]) => Promise<unknown>,
): Promise<string[]> {
  const commands: string[] = [];
  const client = t.db.getClient();
  const listener = ({ commandName, command }: mongo.CommandStartedEvent) => {
    const collections =
      commandName === 'bulkWrite'
        ? (command.nsInfo as { ns: string }[]).map(({ ns }) => ns.split('.').slice(1).join('.'))
        : [command[commandName] as string];
    if (collections.some((name) => REQUEST_COLLECTIONS.includes(name))) {
      commands.push(`${commandName} ${collections.join(', ')}`);
    }
  };
  client.on('commandStarted', listener);
  try {
    await work(commands);
  } finally {
    client.off('commandStarted', listener);
  }
  return commands;
}
