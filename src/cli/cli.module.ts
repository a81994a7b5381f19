import { DynamicModule, Injectable, Module } from '@nestjs/common';
import { CommandRunner, InjectCommander } from 'nest-commander';
import {
  ApiKeysCommand,
  CreateApiKeyCommand,
  ListApiKeysCommand,
  RevokeApiKeyCommand,
} from './api-keys.command';
import { CLI_IO, CliIo } from './cli-io';
import { CreateAdminCommand } from './create-admin.command';
import { RotateKeysCommand } from './rotate-keys.command';
import { ServiceContext } from './service-context';
import {
  DeleteUserCommand,
  DisableUserCommand,
  EnableUserCommand,
  FindUsersCommand,
  UsersCommand,
} from './users.command';

export type Commander = Parameters<CommandRunner['setCommand']>[0];

/** The root of the command tree that nest-commander builds, to finish its set-up (runCli). */
@Injectable()
export class CommandTree {
  constructor(@InjectCommander() readonly root: Commander) {}
}

/**
 * The commands, and nothing of the service: it starts (ServiceContext) only when a command needs
 * it.
 */
@Module({})
export class CliModule {
  static with(io: CliIo): DynamicModule {
    return {
      module: CliModule,
      providers: [
        { provide: CLI_IO, useValue: io },
        ServiceContext,
        CommandTree,
        RotateKeysCommand,
        CreateAdminCommand,
        ApiKeysCommand,
        CreateApiKeyCommand,
        ListApiKeysCommand,
        RevokeApiKeyCommand,
        UsersCommand,
        FindUsersCommand,
        DisableUserCommand,
        EnableUserCommand,
        DeleteUserCommand,
      ],
    };
  }
}
