// The floor of a request's database work: a plain Node.js process (no HTTP, no NestJS) sends the
// same commands as the service, built by the service's own code where it has them, through the
// same driver (mongoose's mongodb), CONCURRENCY at once for BENCH_SECONDS, and prints its CPU (all
// threads) per repetition, less its own idle rate measured just before (as for the service).
//   node bench/driver-floor.js session-read   GET /me's one read: a session and its account
//   node bench/driver-floor.js sign-in        a password sign-in's three commands (FLOOR_LOGIN)
// A request cannot cost less than this plus GET /health/live.
'use strict';
const { readFileSync } = require('node:fs');
const { createHash, randomBytes, randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { mongo, Types } = require('mongoose');

const DIST = join(__dirname, '..', 'dist');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IDLE_MS = 3000;

function cpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** GET /me's read: the aggregation the service's session check sends. */
async function sessionRead(db) {
  const sessions = db.collection('sessions');
  const { tokenHash } = await sessions.findOne({}, { projection: { tokenHash: 1 } });
  return {
    concurrency: 10,
    once: async () => {
      const [found] = await sessions
        .aggregate([
          { $match: { tokenHash, expiresAt: { $gt: new Date() } } },
          { $limit: 1 },
          { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: '_joined' } },
        ])
        .toArray();
      if (!found?._joined?.length) throw new Error('the session and its account were not read');
    },
  };
}

/**
 * A password sign-in's commands: the client's count (findAndModify, the throttle's pipeline), the
 * account found by its login with its check admitted (findAndModify, the limits' pipeline), and
 * the writes of a success in one bulkWrite: the failures set back, the event, the session, the
 * last sign-in. The account, event and session are copies of ones the service wrote, into a
 * database of the floor's own (`<database>_floor`, dropped at the end).
 */
async function signIn(source, client) {
  const { hitCounting } = require(join(DIST, 'platform/rate-limits/mongo-throttler.storage.js'));
  const { CheckCounts } = require(join(DIST, 'sign-in/limits/check-counts.js'));
  const login = process.env.FLOOR_LOGIN;
  const user = await source.collection('users').findOne({ username: login });
  const event = await source.collection('events').findOne({ type: 'sign_in.succeeded' });
  const session = await source.collection('sessions').findOne({});
  if (!user || !event || !session) throw new Error(`no account ${login}, event or session to copy`);
  const db = client.db(`${source.databaseName}_floor`);
  await db.dropDatabase();
  const users = db.collection('users');
  await users.insertOne(user);
  // The limits' numbers change no command's size; these admit every check.
  const counts = new CheckCounts(
    {
      SIGN_IN_LOCK_AFTER_FAILURES: 1e9,
      SIGN_IN_RATE_LIMIT: 1e9,
      SIGN_IN_FREE_FAILURES: 1e9,
      SIGN_IN_FIRST_DELAY_SECONDS: 1,
      SIGN_IN_MAX_DELAY_SECONDS: 900,
    },
    'signInChecks.',
  );
  const clientCountId = `floor:${randomUUID()}`;
  const namespace = (collection) => `${db.databaseName}.${collection}`;
  return {
    concurrency: 4,
    done: () => db.dropDatabase(),
    once: async () => {
      const now = new Date();
      await db
        .collection('rate_limits')
        .findOneAndUpdate({ _id: clientCountId }, hitCounting(now, 60_000, 1e9, 60_000), {
          returnDocument: 'after',
          upsert: true,
        });
      const found = await users.findOneAndUpdate(
        { username: login },
        counts.admitting('account', now, randomUUID()),
        { returnDocument: 'after' },
      );
      if (!found) throw new Error('the account was not found');
      const token = randomBytes(32).toString('base64url');
      await client.bulkWrite(
        [
          {
            namespace: namespace('users'),
            name: 'updateOne',
            filter: { _id: user._id },
            update: counts.forgetting(now),
          },
          {
            namespace: namespace('events'),
            name: 'insertOne',
            document: { ...event, _id: new Types.ObjectId(), at: now },
          },
          {
            namespace: namespace('sessions'),
            name: 'insertOne',
            document: {
              ...session,
              _id: randomBytes(16).toString('base64url'),
              publicId: randomBytes(16).toString('base64url'),
              tokenHash: createHash('sha256').update(token).digest('hex'),
              createdAt: now,
            },
          },
          {
            namespace: namespace('users'),
            name: 'updateOne',
            filter: { _id: user._id, disabled: { $ne: true } },
            update: { $set: { lastSignInAt: now } },
          },
        ],
        { ordered: true, verboseResults: true },
      );
    },
  };
}

const MODES = { 'session-read': sessionRead, 'sign-in': signIn };

async function main() {
  const mode = MODES[process.argv[2]];
  if (!mode) throw new Error(`mode: one of ${Object.keys(MODES).join(', ')}`);
  const client = await new mongo.MongoClient(process.env.MONGODB_URI).connect();
  try {
    const { concurrency, once, done } = await mode(client.db(), client);
    const run = async (until) => {
      let count = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < until) {
            await once();
            count += 1;
          }
        }),
      );
      return count;
    };
    await run(Date.now() + 1000);
    const idleFrom = cpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idlePerSecond = (cpuSeconds() - idleFrom) / (IDLE_MS / 1000);
    const before = cpuSeconds();
    const started = Date.now();
    const count = await run(started + SECONDS * 1000);
    const used = cpuSeconds() - before - idlePerSecond * ((Date.now() - started) / 1000);
    await done?.();
    process.stdout.write(
      JSON.stringify({ count, concurrency, idlePerSecond, cpuPerRequest: used / count }) + '\n',
    );
  } finally {
    await client.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
