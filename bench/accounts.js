// Accounts written straight into the users collection, as the service itself would have stored
// them (src/users/schemas/user.schema.ts and the collection's $jsonSchema validator), with one
// argon2 hash made once for all: the bench's own accounts and `--accounts N` more.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const argon2 = require('argon2');
const { ObjectId } = require('mongodb');
const { ROOT } = require('./support');

const PASSWORD = 'correct horse battery staple';

// Helper-written search fields (prefix search, issue 22): stored beside the account when the build
// has them, so that loaded records look exactly like registered ones.
const SEARCH_KEYS = join(ROOT, 'dist/users/search-keys.js');
const searchFields = existsSync(SEARCH_KEYS) ? require(SEARCH_KEYS).searchFields : undefined;

/** An argon2id hash of PASSWORD with the service's parameters (ARGON2_* of `env`). */
async function passwordHash(env) {
  const { passwordConfig } = require(join(ROOT, 'dist/sign-in/methods/password/password-config'));
  const config = passwordConfig.fromEnvironment({ ...process.env, ...env });
  return argon2.hash(PASSWORD, {
    type: argon2.argon2id,
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
  });
}

/** A user record as the service stores one registered with a password and a verified email. */
function userRecord({ username, email, name, hash, role = 'user', at = new Date() }) {
  const record = {
    _id: new ObjectId(),
    email,
    emailVerified: true,
    username,
    name,
    passwordHash: hash,
    identities: [],
    role,
    disabled: false,
    createdAt: at,
    updatedAt: at,
  };
  return searchFields ? { ...record, ...searchFields(record) } : record;
}

const FIRST = ['Ada', 'Alan', 'Barbara', 'Claude', 'Donald', 'Edsger', 'Frances', 'Hedy'];
const LAST = ['Lovelace', 'Turing', 'Liskov', 'Shannon', 'Knuth', 'Dijkstra', 'Allen', 'Lamarr'];

/** The i-th of the `--accounts` records: names that look like people's, none like the bench's. */
function loadedRecord(i, hash) {
  return userRecord({
    username: `load${i}`,
    email: `load${i}@accounts.example.test`,
    name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]} ${i}`,
    hash,
  });
}

/**
 * Inserts `count` loaded records in batches of `batch` (unordered insertMany: one round trip per
 * batch); calls `progress(done)` after each. Returns the seconds it took.
 */
async function loadAccounts(users, { count, batch, hash, progress = () => undefined }) {
  const started = process.hrtime.bigint();
  for (let done = 0; done < count;) {
    const size = Math.min(batch, count - done);
    const records = Array.from({ length: size }, (_, k) => loadedRecord(done + k, hash));
    await users.insertMany(records, { ordered: false });
    done += size;
    progress(done);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

module.exports = {
  PASSWORD,
  searchFieldsIncluded: Boolean(searchFields),
  passwordHash,
  userRecord,
  loadAccounts,
};
