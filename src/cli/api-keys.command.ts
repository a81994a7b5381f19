import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { API_KEY_SCOPES, type ApiKeyScope } from '../admin/admin-access';
import { ApiKeysService } from '../admin/api-keys/api-keys.service';
import { CLI_IO, CliIo, invalidArgument, table } from './cli-io';
import { ServiceContext } from './service-context';
import { requireSubcommand, when } from './subcommands';

@SubCommand({ name: 'create', description: 'Create an API key; prints the key, this once' })
export class CreateApiKeyCommand extends CommandRunner {
  constructor(
    private readonly service: ServiceContext,
    @Inject(CLI_IO) private readonly io: CliIo,
  ) {
    super();
  }

  async run(_args: string[], options: { name: string; scopes: ApiKeyScope[] }): Promise<void> {
    const created = await this.service.run((app) =>
      app.get(ApiKeysService).create({ name: options.name, scopes: options.scopes }),
    );
    this.io.out(
      `Created the API key ${created.id} "${created.name}" (${created.scopes.join(', ')}). It is shown only now; send it as "Authorization: Bearer <key>":\n${created.key}\n`,
    );
  }

  @Option({
    flags: '--name <name>',
    description: 'who holds the key (1–100 characters)',
    required: true,
  })
  parseName(value: string): string {
    return value;
  }

  @Option({
    flags: '--scope <scope>',
    name: 'scopes',
    description: `a scope to grant: ${API_KEY_SCOPES.join(', ')} (repeat for several)`,
    required: true,
  })
  parseScope(value: string, previous: ApiKeyScope[] = []): ApiKeyScope[] {
    const scope = API_KEY_SCOPES.find((each) => each === value);
    if (!scope) throw invalidArgument(`It must be one of ${API_KEY_SCOPES.join(', ')}.`);
    return [...previous, scope];
  }
}

@SubCommand({ name: 'list', description: 'List the API keys (never their secrets)' })
export class ListApiKeysCommand extends CommandRunner {
  constructor(
    private readonly service: ServiceContext,
    @Inject(CLI_IO) private readonly io: CliIo,
  ) {
    super();
  }

  async run(): Promise<void> {
    const keys = await this.service.run((app) => app.get(ApiKeysService).list());
    if (keys.length === 0) {
      this.io.out('No API keys.\n');
      return;
    }
    const rows = keys.map((key) => [
      key._id,
      key.name,
      key.scopes.join(','),
      when(key.createdAt),
      when(key.lastUsedAt),
      key.revokedAt ? `revoked ${when(key.revokedAt)}` : 'live',
    ]);
    this.io.out(
      `${table([['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'], ...rows])}\n`,
    );
  }
}

@SubCommand({
  name: 'revoke',
  arguments: '<id>',
  argsDescription: { id: 'the key id, as api-keys list shows it' },
  description: 'Revoke an API key: it is refused from now on',
})
export class RevokeApiKeyCommand extends CommandRunner {
  constructor(
    private readonly service: ServiceContext,
    @Inject(CLI_IO) private readonly io: CliIo,
  ) {
    super();
  }

  async run([id]: string[]): Promise<void> {
    const changed = await this.service.run((app) => app.get(ApiKeysService).revoke(id));
    this.io.out(
      changed ? `Revoked the API key ${id}.\n` : `The API key ${id} was revoked already.\n`,
    );
  }
}

@Command({
  name: 'api-keys',
  description: 'Create, list and revoke the API keys of other backends',
  subCommands: [CreateApiKeyCommand, ListApiKeysCommand, RevokeApiKeyCommand],
})
export class ApiKeysCommand extends CommandRunner {
  run(args: string[]): Promise<void> {
    requireSubcommand(this.command, args);
  }
}
