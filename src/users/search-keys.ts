/**
 * What the admin search matches: prefixes of an account's email, username and name, folded so
 * that case and accents do not count, looked up in one index. Each account keeps the folded
 * strings whose prefixes find it (`searchKeys`), tagged with the field each comes from so that a
 * change to one field replaces only that field's keys. Pure functions: the repository and
 * anything that inserts user records directly (the bench) use the same ones.
 */
import { normaliseEmail } from './identifiers';

/** The fields the search reads. */
export const SEARCHED_FIELDS = ['email', 'username', 'name'] as const;
export type SearchedField = (typeof SEARCHED_FIELDS)[number];

/** One string whose prefixes find the account, and the field it comes from. */
export interface SearchKey {
  key: string;
  of: SearchedField;
}

/** The path of the search index (see UserSchema). */
export const SEARCH_KEY_PATH = 'searchKeys.key';

/**
 * Text as the search compares it: compatibility-decomposed (NFKD, so `ﬁ` is `fi` and `é` is `e`
 * plus an accent), lower case, combining marks dropped, runs of white space as one space.
 */
export function searchText(text: string): string {
  return (
    text
      .normalize('NFKD')
      .toLowerCase()
      // Lower-casing may compose or add marks (`İ` becomes `i` and a dot): decompose again.
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/\s+/gu, ' ')
      .trim()
  );
}

/** A word starts at a letter or digit that follows anything else (or nothing). */
const WORD_START = /(?<![\p{L}\p{N}])[\p{L}\p{N}]/gu;

/** The keys of one field's value: the whole of it, and for a name the rest of it from each word. */
export function searchKeysOf(field: SearchedField, value: string | null | undefined): SearchKey[] {
  if (typeof value !== 'string') return [];
  const text = searchText(field === 'email' ? normaliseEmail(value) : value);
  if (text === '') return [];
  const keys = new Set([text]);
  if (field === 'name') {
    for (const { index } of text.matchAll(WORD_START)) keys.add(text.slice(index));
  }
  return [...keys].map((key) => ({ key, of: field }));
}

/**
 * The fields to store on a user record so that the search finds it by its email, username and
 * name. For every write that sets those fields (the repository's, and records inserted directly).
 */
export function searchFields(user: {
  email?: string | null;
  username?: string | null;
  name?: string | null;
}): Record<string, unknown> {
  return { searchKeys: SEARCHED_FIELDS.flatMap((field) => searchKeysOf(field, user[field])) };
}

/**
 * The MongoDB filter for the accounts with a key that starts with the folded `query`; undefined
 * when nothing is left of it once folded (only accents or spaces), which no account matches.
 *
 * Two clauses that say the same thing, each for one kind of server: the `$elemMatch` is the
 * exact condition (one key within the range; a plain range on an array would also take an account
 * with one key above the start and another below the end), from which MongoDB takes tight
 * bounds on the index. SecantusDB scans the collection for an `$elemMatch`, but looks up a
 * filter's plain range clause in its index and checks the rest on the records it finds.
 */
export function searchKeysFilter(query: string): Record<string, unknown> | undefined {
  const prefix = searchText(query);
  if (prefix === '') return undefined;
  const range = prefixRange(prefix);
  return { [SEARCH_KEY_PATH]: range, searchKeys: { $elemMatch: { key: range } } };
}

/**
 * The strings that start with `prefix`: from it up to (not including) the first string after all
 * of them, `prefix` with its last character moved one code point on. MongoDB compares strings
 * byte by byte in UTF-8, which is code point order.
 */
export function prefixRange(prefix: string): { $gte: string; $lt?: string } {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // No string holds a surrogate code point: after U+D7FF comes U+E000.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return { $gte: prefix, $lt: points.join('') + String.fromCodePoint(next) };
    }
  }
  return { $gte: prefix };
}
