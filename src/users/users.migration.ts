import { Logger } from '@nestjs/common';
import type { mongo } from 'mongoose';

interface IndexInfo {
  name: string;
  key: Record<string, unknown>;
  collation?: unknown;
}

interface LegacyUser {
  _id: mongo.ObjectId;
  providers?: Record<string, unknown>;
  createdAt?: unknown;
}

const logger = new Logger('UsersMigration');

/**
 * Brings records written by earlier versions to the current shape. Idempotent, and safe when
 * several instances start at once: each record is rewritten only while it still has the old shape.
 *  - `providers: { key: subject }` becomes `identities: [{ provider, subject, linkedAt }]`;
 *  - the per-provider unique indexes and the case-sensitive email index are dropped (the schema's
 *    own indexes replace them);
 *  - `emailVerified` is set: true where a linked provider vouched for the email, false elsewhere;
 *  - fields the validator requires and early records may lack are filled in: `identities` (empty),
 *    `role` ('user'), `createdAt` (the _id's time) and `updatedAt` (`createdAt`).
 */
export async function migrateUsers(users: mongo.Collection): Promise<void> {
  let migrated = 0;
  const legacy = users.find<LegacyUser>(
    { providers: { $exists: true } },
    { projection: { providers: 1, createdAt: 1 } },
  );
  for await (const user of legacy) {
    const providers = user.providers ?? {};
    const identities = Object.entries(providers)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([provider, subject]) => ({
        provider,
        subject,
        linkedAt: user.createdAt instanceof Date ? user.createdAt : new Date(),
      }));
    // The driver's update types cannot see a field the current schema no longer has.
    const update = {
      $push: { identities: { $each: identities } },
      $unset: { providers: '' },
    } as unknown as mongo.UpdateFilter<mongo.Document>;
    const result = await users.updateOne({ _id: user._id, providers: user.providers }, update);
    migrated += result.modifiedCount;
  }
  if (migrated > 0) logger.log(`Moved the linked providers of ${migrated} accounts to identities`);
  await dropLegacyIndexes(users);
  await recordEmailVerification(users);
  await fillRequiredFields(users);
}

async function fillRequiredFields(users: mongo.Collection): Promise<void> {
  const missing = (field: string) => ({ [field]: { $exists: false } });
  await users.updateMany(missing('identities'), { $set: { identities: [] } });
  await users.updateMany(missing('role'), { $set: { role: 'user' } });
  const undated = users.find<{ _id: mongo.ObjectId; createdAt?: unknown }>(
    { $or: [missing('createdAt'), missing('updatedAt')] },
    { projection: { createdAt: 1 } },
  );
  let dated = 0;
  for await (const user of undated) {
    const createdAt = user.createdAt instanceof Date ? user.createdAt : user._id.getTimestamp();
    const created = await users.updateOne(
      { _id: user._id, ...missing('createdAt') },
      { $set: { createdAt } },
    );
    const updated = await users.updateOne(
      { _id: user._id, ...missing('updatedAt') },
      { $set: { updatedAt: createdAt } },
    );
    dated += Math.max(created.modifiedCount, updated.modifiedCount);
  }
  if (dated > 0) logger.log(`Recorded creation dates for ${dated} accounts`);
}

async function recordEmailVerification(users: mongo.Collection): Promise<void> {
  const unknown = { emailVerified: { $exists: false } };
  const vouched = await users.updateMany(
    {
      ...unknown,
      email: { $type: 'string' },
      $expr: { $in: ['$email', { $ifNull: ['$identities.email', []] }] },
    },
    { $set: { emailVerified: true } },
  );
  const rest = await users.updateMany(unknown, { $set: { emailVerified: false } });
  const total = vouched.modifiedCount + rest.modifiedCount;
  if (total > 0) {
    logger.log(
      `Recorded whether the email is verified for ${total} accounts (${vouched.modifiedCount} vouched for by a provider)`,
    );
  }
}

async function dropLegacyIndexes(users: mongo.Collection): Promise<void> {
  const indexes: IndexInfo[] = await users
    .listIndexes()
    .toArray()
    .catch(() => []);
  for (const index of indexes) {
    const keys = Object.keys(index.key);
    const legacy =
      keys.some((key) => key.startsWith('providers.')) ||
      (index.name === 'email_1' && index.collation === undefined);
    if (legacy) {
      await users.dropIndex(index.name).catch(() => undefined);
      logger.log(`Dropped the index ${index.name}, which the schema replaces`);
    }
  }
}
