// The floor of a request that reads the database once: a plain Node.js process (no HTTP, no
// NestJS) reads a session and its account with the aggregation the service's session check sends,
// through the same driver (mongoose's mongodb), CONCURRENCY at once for BENCH_SECONDS, and prints
// its CPU (all threads) per read. GET /me cannot cost less than this plus GET /health/live.
'use strict';
const { readFileSync } = require('node:fs');
const { mongo } = require('mongoose');

const CONCURRENCY = 10;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

function cpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main() {
  const client = await new mongo.MongoClient(process.env.MONGODB_URI).connect();
  try {
    const sessions = client.db().collection('sessions');
    const { tokenHash } = await sessions.findOne({}, { projection: { tokenHash: 1 } });
    const read = () =>
      sessions
        .aggregate([
          { $match: { tokenHash, expiresAt: { $gt: new Date() } } },
          { $limit: 1 },
          { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: '_joined' } },
        ])
        .toArray();
    const run = async (until) => {
      let reads = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (Date.now() < until) {
            const [found] = await read();
            if (!found?._joined?.length)
              throw new Error('the session and its account were not read');
            reads += 1;
          }
        }),
      );
      return reads;
    };
    await run(Date.now() + 1000);
    const before = cpuSeconds();
    const reads = await run(Date.now() + SECONDS * 1000);
    process.stdout.write(
      JSON.stringify({
        reads,
        concurrency: CONCURRENCY,
        cpuPerRead: (cpuSeconds() - before) / reads,
      }) + '\n',
    );
  } finally {
    await client.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
