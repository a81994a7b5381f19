import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { rotateSigningKeys } from './oidc/rotate-keys.command';

/** Operator commands, against the database the service uses: `npm run cli -- <command>`. */
const COMMANDS: Record<string, (app: Awaited<ReturnType<typeof context>>) => Promise<string>> = {
  'rotate-keys': rotateSigningKeys,
};

const context = () =>
  NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });

async function main(command: string | undefined): Promise<void> {
  const run = command && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(`Usage: npm run cli -- <command>\nCommands: ${Object.keys(COMMANDS).join(', ')}`);
    process.exit(2);
  }
  await ConfigModule.envVariablesLoaded;
  AppConfig.fromEnvironment(process.env);
  const app = await context();
  try {
    console.log(await run(app));
  } finally {
    await app.close();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
