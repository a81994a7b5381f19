import { Logger } from '@nestjs/common';
import type { mongo } from 'mongoose';

interface IndexInfo {
  name: string;
  key: Record<string, unknown>;
  collation?: unknown;
}

const logger = new Logger('UsersMigration');

/** A field a record of an earlier version may lack. */
const missing = (field: string) => ({ [field]: { $exists: false } });

/** The record's own value of `field`, or `otherwise` where it has none. */
const orElse = (field: string, otherwise: unknown) => ({ $ifNull: [`$${field}`, otherwise] });

/**
 * Brings records written by earlier versions to the current shape. Idempotent, and safe when
 * several instances start at once:
 *  - `providers: { key: subject }` becomes `identities: [{ provider, subject, linkedAt }]`;
 *  - the per-provider unique indexes and the case-sensitive email index are dropped (the schema's
 *    own indexes replace them);
 *  - `emailVerified` is set: true where a linked provider vouched for the email, false elsewhere;
 *  - fields the validator requires and early records may lack are filled in: `identities` (empty),
 *    `role` ('user'), `createdAt` (the _id's time) and `updatedAt` (`createdAt`).
 * Each record changes in one write, from its old shape to the current one: once the collection has
 * its validator (a restore may still bring old records back), a write of any shape in between
 * would be refused.
 */
export async function migrateUsers(users: mongo.Collection): Promise<void> {
  // The record's creation date where it has one (null where not, for $ifNull).
  const createdAt = { $cond: [{ $eq: [{ $type: '$createdAt' }, 'date'] }, '$createdAt', null] };
  const fromProviders = {
    $map: {
      input: {
        $filter: {
          input: { $objectToArray: orElse('providers', {}) },
          cond: { $eq: [{ $type: '$$this.v' }, 'string'] },
        },
      },
      in: {
        provider: '$$this.k',
        subject: '$$this.v',
        linkedAt: { $ifNull: [createdAt, new Date()] },
      },
    },
  };
  const result = await users.updateMany(
    {
      $or: [
        { providers: { $exists: true } },
        ...['identities', 'role', 'emailVerified', 'createdAt', 'updatedAt'].map(missing),
      ],
    },
    [
      {
        $set: {
          identities: { $concatArrays: [orElse('identities', []), fromProviders] },
          role: orElse('role', 'user'),
          createdAt: { $ifNull: [createdAt, { $toDate: '$_id' }] },
        },
      },
      {
        $set: {
          updatedAt: orElse('updatedAt', '$createdAt'),
          emailVerified: orElse('emailVerified', {
            $and: [
              { $eq: [{ $type: '$email' }, 'string'] },
              // The emails of the identities, mapped (not '$identities.email': not every
              // server that speaks MongoDB's protocol reads a path through an array there).
              { $in: ['$email', { $map: { input: '$identities', in: '$$this.email' } }] },
            ],
          }),
        },
      },
      { $unset: 'providers' },
    ],
  );
  if (result.modifiedCount > 0) {
    logger.log(`Brought ${result.modifiedCount} accounts to the current shape`);
  }
  await dropLegacyIndexes(users);
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
