import { Global, Module, ModuleMetadata } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Test, TestingModule } from '@nestjs/testing';
import { Connection } from 'mongoose';
import { AppConfig } from '../../src/platform/config/app-config';
import { DatabaseModule } from '../../src/platform/database/database.module';
import { testServerUri, withDatabase } from './mongo-uri';
import { newDatabaseName } from './test-app';

/** Nest modules wired to a database of the test server, without HTTP (the medium tests). */
export interface DatabaseTestModule {
  module: TestingModule;
  /** The modules' own MongoDB connection, to look at what was written. */
  db: Connection;
  /** Drops the database, then closes the modules. */
  close(): Promise<void>;
}

/**
 * The given modules and providers with the real DatabaseModule (connection, Transactions,
 * Migrations) on a fresh database, started as the app starts them (migrations, indexes): the
 * repositories' queries run against the real database, and nothing else of the app starts.
 */
export async function databaseTestModule(
  metadata: Pick<ModuleMetadata, 'imports' | 'providers'>,
  env: Record<string, string> = {},
): Promise<DatabaseTestModule> {
  const config = AppConfig.fromEnvironment({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MONGODB_URI: withDatabase(testServerUri(), newDatabaseName()),
    ...env,
  });

  @Global()
  @Module({ providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] })
  class TestConfigModule {}

  const module = await Test.createTestingModule({
    imports: [TestConfigModule, DatabaseModule, ...(metadata.imports ?? [])],
    providers: metadata.providers,
  }).compile();
  await module.init();
  const db = module.get<Connection>(getConnectionToken());
  return {
    module,
    db,
    close: async () => {
      await db.dropDatabase().catch(() => undefined);
      await module.close();
    },
  };
}
