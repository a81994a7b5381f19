import { Logger } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import type { mongo, Types } from 'mongoose';
import { searchFields } from './search-keys';
import { DOCUMENT_VALIDATION_FAILURE } from './users.validator';

const logger = new Logger('UsersMigration');

/** Records read (and written) at a time: bounded memory and write size at any number of accounts. */
export const SEARCH_KEYS_BATCH = 1000;

interface SearchedRecord {
  _id: Types.ObjectId;
  email?: string;
  username?: string;
  name?: string;
  searchKeys?: unknown;
}

interface KeysWrite {
  updateOne: { filter: { _id: Types.ObjectId }; update: { $set: Record<string, unknown> } };
}

/**
 * Gives every record the admin search's keys of its email, username and name (searchFields),
 * read and written a batch at a time. Idempotent: a record whose keys are already right is not
 * written. Each write applies only while the record still holds the values its keys were made
 * from, so a change made meanwhile (which writes its own keys) is never overwritten. A record the
 * validator refuses is left as it is and named in a warning.
 */
export async function fillSearchKeys(
  users: mongo.Collection,
  batchSize = SEARCH_KEYS_BATCH,
): Promise<{ changed: number; refused: string[] }> {
  const records = users
    .find<SearchedRecord>({}, { projection: { email: 1, username: 1, name: 1, searchKeys: 1 } })
    .batchSize(batchSize);
  let changed = 0;
  const refused: string[] = [];
  let writes: KeysWrite[] = [];
  const flush = async () => {
    const result = await writeKeys(users, writes);
    changed += result.changed;
    refused.push(...result.refused);
    writes = [];
  };
  for await (const record of records) {
    const fields = searchFields(record);
    if (isDeepStrictEqual(record.searchKeys, fields.searchKeys)) continue;
    const unchanged = {
      _id: record._id,
      email: record.email ?? null,
      username: record.username ?? null,
      name: record.name ?? null,
    };
    writes.push({ updateOne: { filter: unchanged, update: { $set: fields } } });
    if (writes.length >= batchSize) await flush();
  }
  if (writes.length > 0) await flush();
  if (changed > 0) logger.log(`Gave ${changed} accounts the admin search's keys`);
  if (refused.length > 0) {
    logger.warn(
      `These accounts do not fit the validator, so the admin search cannot find them until they are fixed by hand: ${refused.join(', ')}`,
    );
  }
  return { changed, refused };
}

/** One batch's writes, unordered; those the validator refuses are named, not thrown. */
async function writeKeys(
  users: mongo.Collection,
  writes: KeysWrite[],
): Promise<{ changed: number; refused: string[] }> {
  try {
    return {
      changed: (await users.bulkWrite(writes, { ordered: false })).modifiedCount,
      refused: [],
    };
  } catch (error) {
    const { writeErrors, result } = error as {
      writeErrors?: Array<{ code?: number; index: number }>;
      result?: { modifiedCount?: number };
    };
    const errors = Array.isArray(writeErrors) ? writeErrors : [];
    if (errors.length === 0 || errors.some(({ code }) => code !== DOCUMENT_VALIDATION_FAILURE)) {
      throw error;
    }
    return {
      changed: result?.modifiedCount ?? 0,
      refused: errors.map(({ index }) => String(writes[index].updateOne.filter._id)),
    };
  }
}
