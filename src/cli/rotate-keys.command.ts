import { Inject } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { rotateSigningKeys } from '../openid/rotate-keys.command';
import { CLI_IO, CliIo } from './cli-io';
import { ServiceContext } from './service-context';

@Command({
  name: 'rotate-keys',
  description:
    'Add a new signing key for the OpenID Connect provider; remove the keys replaced long enough ago',
})
export class RotateKeysCommand extends CommandRunner {
  constructor(
    private readonly service: ServiceContext,
    @Inject(CLI_IO) private readonly io: CliIo,
  ) {
    super();
  }

  async run(): Promise<void> {
    this.io.out(`${await this.service.run(rotateSigningKeys)}\n`);
  }
}
