import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import mongoose, { ClientSession, Collection, Connection, mongo } from 'mongoose';
import { ServerFeatures } from './server-features';
import { currentTransaction } from './transactions';

/** The collection a write goes to: a mongoose model (any model has these). */
export interface BatchTarget {
  readonly db: Connection;
  readonly collection: Collection;
}

type Document = mongo.Document;

/**
 * One write of a batch, as the driver takes it: nothing is cast or validated on the way, so a
 * document to insert must be built by its model first (see buildDocument).
 */
export type BatchWrite = InsertOneWrite | UpdateOneWrite | DeleteOneWrite;

export interface InsertOneWrite {
  target: BatchTarget;
  insertOne: Document;
}

export interface UpdateOneWrite {
  target: BatchTarget;
  updateOne: { filter: Document; update: Document };
}

export interface DeleteOneWrite {
  target: BatchTarget;
  deleteOne: { filter: Document };
}

/** What one write of a batch did (0 for what does not apply to it). */
export interface WriteOutcome {
  matchedCount: number;
  deletedCount: number;
}

/**
 * A write of a batch that the server refused (a validator, a unique index). The writes before it
 * were made; those after it were not tried.
 */
export class BatchWriteFailed extends Error {
  constructor(
    /** The refused write's position in the batch. */
    readonly index: number,
    /** The server's error code (121: the document failed validation; 11000: a duplicate key). */
    readonly code: number | undefined,
    message: string,
    cause: unknown,
  ) {
    super(`Write ${index} of a batch was refused: ${message}`, { cause });
    this.name = 'BatchWriteFailed';
  }
}

/**
 * Writes to several collections that go together, sent in order and stopped at the first refused:
 * in one round trip where the server has the client-level `bulkWrite` command (MongoDB 8.0+), else
 * one command each, as before. Inside Transactions.run the writes join the transaction.
 */
@Injectable()
export class WriteBatches {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly features: ServerFeatures,
  ) {}

  /** Throws BatchWriteFailed when the server refuses one of the writes. */
  async write(writes: BatchWrite[]): Promise<WriteOutcome[]> {
    const session = currentTransaction();
    return (await this.features.clientBulkWrite())
      ? this.inOneRoundTrip(writes, session)
      : this.oneByOne(writes, session);
  }

  private async inOneRoundTrip(
    writes: BatchWrite[],
    session: ClientSession | undefined,
  ): Promise<WriteOutcome[]> {
    let result: mongo.ClientBulkWriteResult;
    try {
      result = await this.connection
        .getClient()
        .bulkWrite(writes.map(clientModel), { ordered: true, verboseResults: true, session });
    } catch (error) {
      const refused =
        error instanceof mongo.MongoClientBulkWriteError && firstOf(error.writeErrors);
      if (!refused) throw error;
      const [index, writeError] = refused;
      throw new BatchWriteFailed(index, writeError.code, writeError.message, error);
    }
    return writes.map((_, index) => ({
      matchedCount: result.updateResults?.get(index)?.matchedCount ?? 0,
      deletedCount: result.deleteResults?.get(index)?.deletedCount ?? 0,
    }));
  }

  private async oneByOne(
    writes: BatchWrite[],
    session: ClientSession | undefined,
  ): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    for (const [index, write] of writes.entries()) {
      try {
        outcomes.push(await writeAlone(write, session));
      } catch (error) {
        // A refusal of this write; an error with labels (a transient one, which a transaction
        // retries on) stays as it is.
        if (!(error instanceof mongo.MongoServerError) || error.errorLabels.length > 0) throw error;
        throw new BatchWriteFailed(index, numericCode(error.code), error.message, error);
      }
    }
    return outcomes;
  }
}

/**
 * A document as its model would insert it: cast, with the schema's defaults, and validated
 * (a ValidationError otherwise, as Model.create would throw).
 */
export async function buildDocument<T>(model: mongoose.Model<T>, fields: object): Promise<T> {
  const document = new model(fields);
  await document.validate();
  return document.toObject({ depopulate: true, virtuals: false, transform: false }) as T;
}

/**
 * A document to insert as it is: for records built in code from typed values only (a session, an
 * audit event), whose TypeScript type is their schema. Building and validating them as mongoose
 * documents cost a sign-in about 0.4 ms of CPU and could find nothing the compiler did not; the
 * tests check such records against their schemas. Fields left undefined are dropped, as mongoose
 * drops them (the driver would store null).
 */
export function plainDocument<T extends object>(fields: T): T {
  const document: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) document[name] = value;
  }
  return document as T;
}

function namespaceOf({ db, collection }: BatchTarget): string {
  return `${db.name}.${collection.collectionName}`;
}

function clientModel(write: BatchWrite): mongo.AnyClientBulkWriteModel<Document> {
  const namespace = namespaceOf(write.target);
  if ('insertOne' in write) return { namespace, name: 'insertOne', document: write.insertOne };
  if ('updateOne' in write) return { namespace, name: 'updateOne', ...write.updateOne };
  return { namespace, name: 'deleteOne', ...write.deleteOne };
}

async function writeAlone(
  write: BatchWrite,
  session: ClientSession | undefined,
): Promise<WriteOutcome> {
  const collection = write.target.collection;
  if ('insertOne' in write) {
    await collection.insertOne(write.insertOne, { session });
    return { matchedCount: 0, deletedCount: 0 };
  }
  if ('updateOne' in write) {
    const { filter, update } = write.updateOne;
    const { matchedCount } = await collection.updateOne(filter, update, { session });
    return { matchedCount, deletedCount: 0 };
  }
  const { deletedCount } = await collection.deleteOne(write.deleteOne.filter, { session });
  return { matchedCount: 0, deletedCount };
}

function firstOf<K, V>(map: ReadonlyMap<K, V>): [K, V] | undefined {
  return map.entries().next().value;
}

function numericCode(code: unknown): number | undefined {
  return typeof code === 'number' ? code : undefined;
}
