import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';

/** The wire version of MongoDB 8.0, whose servers have the client-level `bulkWrite` command. */
const MONGODB_8_0 = 25;

/** What the database server can do beyond what every supported version can, asked once. */
@Injectable()
export class ServerFeatures {
  private maxWireVersion?: Promise<number>;

  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Whether the server takes writes to several collections in one `bulkWrite` command. */
  async clientBulkWrite(): Promise<boolean> {
    return (await this.wireVersion()) >= MONGODB_8_0;
  }

  private wireVersion(): Promise<number> {
    if (!this.maxWireVersion) {
      this.maxWireVersion = this.connection
        .db!.admin()
        .command({ hello: 1 })
        .then(({ maxWireVersion }) => Number(maxWireVersion ?? 0));
      // Asked again next time when the server could not be asked.
      this.maxWireVersion.catch(() => (this.maxWireVersion = undefined));
    }
    return this.maxWireVersion;
  }
}
