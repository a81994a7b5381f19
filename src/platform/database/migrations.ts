import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection } from 'mongoose';

/** Where completed migrations are recorded, one document each: `{ _id: name, completedAt }`. */
const MIGRATIONS_COLLECTION = 'migrations';

/**
 * Start-up migrations that look through a whole collection for records of an earlier shape run
 * until one pass completes, and then never again: at ten million accounts, each pass is a scan of
 * the collection on every instance's start. Each migration must be idempotent and safe when
 * several instances run it at once (they may, until one records it). Deleting a migration's record
 * runs it again at the next start, as after restoring records of an earlier version.
 */
@Injectable()
export class Migrations {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  async once(name: string, migrate: () => Promise<void>): Promise<void> {
    const completed = this.connection.collection<{ _id: string; completedAt: Date }>(
      MIGRATIONS_COLLECTION,
    );
    if (await completed.findOne({ _id: name })) return;
    await migrate();
    try {
      await completed.updateOne(
        { _id: name },
        { $setOnInsert: { completedAt: new Date() } },
        { upsert: true },
      );
    } catch (error) {
      // Another instance recorded it at the same moment (E11000 on the _id).
      if ((error as { code?: unknown }).code !== 11000) throw error;
    }
  }
}
