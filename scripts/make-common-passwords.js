// Rebuilds src/sign-in/methods/password/common-passwords.txt, the list of common and breached passwords the password
// policy refuses, from SecLists' 10-million-password-list-top-1000000.txt (most common first):
//   node scripts/make-common-passwords.js path/to/10-million-password-list-top-1000000.txt
// It keeps the first 100,000 distinct passwords of at least 8 characters, compared as the policy
// compares them (NFKC, lower case). Shorter ones are left out: no PASSWORD_MIN_LENGTH lets them
// through (its lowest value is 8), so they would take memory and refuse nothing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const SIZE = 100_000;
const MIN_LENGTH = 8;
const OUTPUT = path.join(__dirname, '..', 'src', 'auth', 'common-passwords.txt');

const source = process.argv[2];
if (!source) {
  console.error(
    'Usage: node scripts/make-common-passwords.js <10-million-password-list-top-1000000.txt>',
  );
  process.exit(1);
}

const kept = new Set();
let lines = 0;
for (const line of fs.readFileSync(source, 'utf8').split('\n')) {
  lines += 1;
  const password = line.replace(/\r$/, '').trim().normalize('NFKC').toLowerCase();
  if ([...password].length < MIN_LENGTH) continue;
  kept.add(password);
  if (kept.size === SIZE) break;
}
if (kept.size < SIZE) {
  console.error(`Only ${kept.size} passwords of ${MIN_LENGTH}+ characters in ${source}.`);
  process.exit(1);
}
fs.writeFileSync(OUTPUT, `${[...kept].join('\n')}\n`);
console.log(`${OUTPUT}: ${kept.size} passwords, from the first ${lines} lines of ${source}`);
