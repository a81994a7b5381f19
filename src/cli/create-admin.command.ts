import { Inject } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { emailCharacterProblem } from '../users/identifiers';
import { CLI_IO, CliIo, invalidArgument } from './cli-io';
import { CliUsers } from './cli-users.service';
import { ServiceContext } from './service-context';

@Command({
  name: 'create-admin',
  description:
    'Create an admin account with this email, or make its account an admin; prints a one-time set-password link',
})
export class CreateAdminCommand extends CommandRunner {
  constructor(
    private readonly service: ServiceContext,
    @Inject(CLI_IO) private readonly io: CliIo,
  ) {
    super();
  }

  async run(_args: string[], options: { email: string }): Promise<void> {
    const { user, created, promoted, link, linkMinutes } = await this.service.run((app) =>
      app.get(CliUsers).createAdmin(options.email),
    );
    const who = `${user.username} <${user.email}> (id ${user._id.toHexString()})`;
    const done = created
      ? `Created the admin account ${who}.`
      : promoted
        ? `${who} is now an admin.`
        : `${who} was an admin already.`;
    this.io.out(
      `${done}\nTo set its password, open this link (it works once, and expires in ${linkMinutes} minutes):\n${link}\n`,
    );
  }

  @Option({ flags: '--email <email>', description: "the account's email", required: true })
  parseEmail(value: string): string {
    const email = value.trim();
    if (!isEmail(email) || email.length > 254) throw invalidArgument('It is not an email address.');
    const problem = emailCharacterProblem(email);
    if (problem) throw invalidArgument(`The email ${problem}.`);
    return email;
  }
}
