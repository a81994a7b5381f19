import { prefixRange, searchFields, searchKeysFilter, searchText } from './search-keys';

const keysOf = (user: Parameters<typeof searchFields>[0]) =>
  (searchFields(user).searchKeys as Array<{ key: string; of: string }>).map(
    ({ key, of }) => `${of}:${key}`,
  );

/** Whether a key is in the range the filter asks for, compared as MongoDB does (code points). */
function inRange(key: string, query: string): boolean {
  const range = prefixRange(searchText(query));
  const points = (text: string) => Array.from(text).map((c) => c.codePointAt(0)!);
  const compare = (a: string, b: string) => {
    const [x, y] = [points(a), points(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  };
  return compare(key, range.$gte) >= 0 && (range.$lt === undefined || compare(key, range.$lt) < 0);
}

describe('search keys', () => {
  it('folds case, accents, compatibility forms and white space', () => {
    expect(searchText('  ÉLODIE   Ångström ')).toBe('elodie angstrom');
    expect(searchText('ﬁnn İlkay')).toBe('finn ilkay');
    expect(searchText('\u0301')).toBe('');
  });

  it('keeps the email, the username, the name and the name from each of its words', () => {
    expect(
      keysOf({ email: ' José@Example.TEST', username: 'ada_l', name: 'Ada  Lovelace-Byron' }),
    ).toEqual([
      'email:jose@example.test',
      'username:ada_l',
      'name:ada lovelace-byron',
      'name:lovelace-byron',
      'name:byron',
    ]);
  });

  it('has no keys for absent or empty fields', () => {
    expect(keysOf({ email: null, username: undefined, name: ' ' })).toEqual([]);
    expect(keysOf({ name: 'Ada Ada' })).toEqual(['name:ada ada', 'name:ada']);
  });

  it('finds every key that starts with the folded query, and no other', () => {
    const name = 'name:'.length;
    const keys = keysOf({ name: 'Ada Lovelace 😀x' }).map((key) => key.slice(name));
    expect(keys.filter((key) => inRange(key, 'LOVE'))).toEqual(['lovelace 😀x']);
    expect(keys.filter((key) => inRange(key, 'lovelace 😀'))).toEqual(['lovelace 😀x']);
    expect(keys.filter((key) => inRange(key, 'ovelace'))).toEqual([]);
    expect(inRange('adb', 'ada')).toBe(false);
    expect(inRange('ada\u{10ffff}', 'ada')).toBe(true);
  });

  it('moves the end of the range past the surrogates and the last code point', () => {
    expect(prefixRange('a\ud7ff')).toEqual({ $gte: 'a\ud7ff', $lt: 'a\ue000' });
    expect(prefixRange('a\u{10ffff}')).toEqual({ $gte: 'a\u{10ffff}', $lt: 'b' });
    expect(prefixRange('\u{10ffff}')).toEqual({ $gte: '\u{10ffff}' });
  });

  it('matches nothing for a query with nothing left once folded', () => {
    expect(searchKeysFilter(' \u0301 ')).toBeUndefined();
    expect(searchKeysFilter('Ada')).toEqual({
      'searchKeys.key': { $gte: 'ada', $lt: 'adb' },
      searchKeys: { $elemMatch: { key: { $gte: 'ada', $lt: 'adb' } } },
    });
  });
});
