import { Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import mongoose from 'mongoose';
import { Migrations } from './migrations';
import { MongoServer } from './mongo-server.service';
import { ServerFeatures } from './server-features';
import { Transactions } from './transactions';
import { WriteBatches } from './write-batches';

// Defence in depth against query injection: operator objects in filters are neutralised unless
// wrapped in mongoose.trusted(), and a filter on an unknown path is an error, not a silent match-all.
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', 'throw');
// Operations inside Transactions.run() join its transaction without passing a session around.
mongoose.set('transactionAsyncLocalStorage', true);

/**
 * How long the driver looks for a server that can take an operation before giving up on it. While
 * the database is unreachable a request that needs it waits this long (the filter then answers 503
 * SERVICE_UNAVAILABLE), instead of mongoose's buffering 10 s; twice as long when it was inside a
 * transaction (the driver then tries to abort it), still within the 2 s promised. A reachable
 * server is found in one round trip; a replica set's election takes longer, and is answered 503.
 */
const SERVER_SELECTION_TIMEOUT_MS = 750;

/**
 * The driver's monitor asks each server `hello` this often (polling: streamed replies would start
 * only up to 500 ms after a reconnection, so a silence would be noticed later then) and waits this
 * long for the answer, as for a new connection's first one. A server silent that long (a network
 * partition: connections stay open, nothing answers) is taken for gone within 1.5 s instead of the
 * driver's 40 s: the pool is cleared, the operations waiting on its connections fail at once (a
 * retryable one is tried again, which looks for a server for SERVER_SELECTION_TIMEOUT_MS) and new
 * ones do not wait, so the request answers 503 within about 2 s. The monitor has a connection of
 * its own, which a busy server still answers at once: slow operations (index builds, migrations,
 * long cursors) do not count against this.
 */
const HEARTBEAT_FREQUENCY_MS = 500;
const CONNECT_TIMEOUT_MS = 1000;

@Module({
  providers: [MongoServer],
  exports: [MongoServer],
})
class MongoServerModule {}

/**
 * The connection, Transactions for writes that belong together, WriteBatches for writes sent
 * together and Migrations for start-up migrations; available to every module.
 */
@Global()
@Module({
  imports: [
    MongoServerModule,
    MongooseModule.forRootAsync({
      imports: [MongoServerModule],
      inject: [MongoServer],
      useFactory: async (server: MongoServer) => ({
        uri: await server.connectionUri(),
        // While the database is unreachable, an operation fails after the driver looked for it
        // for SERVER_SELECTION_TIMEOUT_MS (the request answers 503 at once), instead of mongoose
        // holding it for 10 s (bufferTimeoutMS) until the connection is back. The connection is
        // open before any model is used (the module waits for it), so nothing needs the buffer.
        serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
        bufferCommands: false,
        // A server that stops answering without closing its connections is noticed as soon.
        serverMonitoringMode: 'poll',
        heartbeatFrequencyMS: HEARTBEAT_FREQUENCY_MS,
        connectTimeoutMS: CONNECT_TIMEOUT_MS,
      }),
    }),
  ],
  providers: [Transactions, ServerFeatures, WriteBatches, Migrations],
  exports: [Transactions, ServerFeatures, WriteBatches, Migrations],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly server: MongoServer) {}

  /**
   * The embedded server stops after everything else, the connection included: this module is
   * global (Nest stops those last) and registered before the connection's own module (Nest stops
   * modules of one distance in reverse order). Stopped earlier, the last writes of a shutdown (the
   * mail relay's) would be lost in development.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.server.stop();
  }
}
