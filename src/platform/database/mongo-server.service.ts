import { Injectable, Logger } from '@nestjs/common';
import { resolve } from 'node:path';
import { AppConfig } from '../config/app-config';
import { EmbeddedMongo, startEmbeddedMongo } from './embedded-mongo';

/** Decides which MongoDB the service uses, starting the embedded one when none is configured. */
@Injectable()
export class MongoServer {
  private readonly logger = new Logger('Database');
  private embedded?: EmbeddedMongo;

  constructor(private readonly config: AppConfig) {}

  async connectionUri(): Promise<string> {
    if (this.config.MONGODB_URI) {
      this.logger.log(
        `Using MongoDB from MONGODB_URI (${redactCredentials(this.config.MONGODB_URI)})`,
      );
      return this.config.MONGODB_URI;
    }
    const dataDir = resolve(this.config.EMBEDDED_MONGO_PATH);
    this.embedded = await startEmbeddedMongo({
      dataDir,
      projectRoot: process.cwd(),
      log: (message) => this.logger.log(message),
    });
    const uri = this.embedded.uri('accounts');
    this.logger.warn(
      `MONGODB_URI is not set: using an embedded ${this.embedded.engine} for development at ${uri}, data kept in ${dataDir}`,
    );
    return uri;
  }

  /** Stops the embedded server, if one was started; DatabaseModule calls it last of all. */
  async stop(): Promise<void> {
    await this.embedded?.stop();
  }
}

function redactCredentials(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}
