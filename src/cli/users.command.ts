import { Inject } from '@nestjs/common';
import { Command, CommandRunner, SubCommand } from 'nest-commander';
import type { User } from '../users/schemas/user.schema';
import { CLI_IO, CliIo, CommandFailure, table } from './cli-io';
import { CliUsers, FIND_LIMIT } from './cli-users.service';
import { ServiceContext } from './service-context';
import { requireSubcommand, when } from './subcommands';

const describe = (user: User) =>
  `${user.username}${user.email ? ` <${user.email}>` : ''} (id ${user._id.toHexString()})`;

/** The `users` commands' common part: the service, the output, and `run` taking one argument. */
abstract class UserCommand extends CommandRunner {
  constructor(
    protected readonly service: ServiceContext,
    @Inject(CLI_IO) protected readonly io: CliIo,
  ) {
    super();
  }

  async run([ref]: string[]): Promise<void> {
    this.io.out(`${await this.service.run((app) => this.act(app.get(CliUsers), ref))}\n`);
  }

  protected abstract act(users: CliUsers, ref: string): Promise<string>;
}

@SubCommand({
  name: 'find',
  arguments: '<query>',
  argsDescription: {
    query:
      'an id; or the start of an email, username, name or word of a name, or a provider subject',
  },
  description: `Find accounts: by id, or as GET /admin/users?query= does (newest first, at most ${FIND_LIMIT})`,
})
export class FindUsersCommand extends UserCommand {
  protected async act(users: CliUsers, query: string): Promise<string> {
    const found = await users.find(query);
    if (found.length === 0) throw new CommandFailure(`No account matches ${query}.`);
    const rows = found.map((user) => [
      user._id.toHexString(),
      user.email ?? '-',
      user.username,
      user.role,
      user.disabled ? 'disabled' : 'enabled',
      when(user.createdAt),
    ]);
    return table([['ID', 'EMAIL', 'USERNAME', 'ROLE', 'STATUS', 'CREATED'], ...rows]);
  }
}

@SubCommand({
  name: 'disable',
  arguments: '<user>',
  argsDescription: { user: 'the account’s id, email or username' },
  description: 'Disable an account and end its sessions',
})
export class DisableUserCommand extends UserCommand {
  protected async act(users: CliUsers, ref: string): Promise<string> {
    const { user, changed } = await users.disable(ref);
    return `${changed ? 'Disabled' : 'Already disabled:'} ${describe(user)}; its sessions are ended.`;
  }
}

@SubCommand({
  name: 'enable',
  arguments: '<user>',
  argsDescription: { user: 'the account’s id, email or username' },
  description: 'Enable a disabled account',
})
export class EnableUserCommand extends UserCommand {
  protected async act(users: CliUsers, ref: string): Promise<string> {
    const { user, changed } = await users.enable(ref);
    return `${changed ? 'Enabled' : 'Not disabled:'} ${describe(user)}.`;
  }
}

@SubCommand({
  name: 'delete',
  arguments: '<user>',
  argsDescription: { user: 'the account’s id, email or username' },
  description: 'Delete an account, its sessions and its apps’ grants (its owner gets a notice)',
})
export class DeleteUserCommand extends UserCommand {
  protected async act(users: CliUsers, ref: string): Promise<string> {
    return `Deleted ${describe(await users.delete(ref))}.`;
  }
}

@Command({
  name: 'users',
  description: 'Find, disable, enable and delete accounts',
  subCommands: [FindUsersCommand, DisableUserCommand, EnableUserCommand, DeleteUserCommand],
})
export class UsersCommand extends CommandRunner {
  run(args: string[]): Promise<void> {
    requireSubcommand(this.command, args);
  }
}
