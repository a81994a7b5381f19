import {
  emailCharacterProblem,
  normaliseEmail,
  normaliseUsername,
  USERNAME_PATTERN,
  usernameBase,
  usernameBaseFromEmail,
  usernameCandidates,
} from './identifiers';

describe('identifiers', () => {
  it('normalises emails: trimmed, lower case', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  it('keeps an email canonical form that folds case and canonical equivalents, nothing more', () => {
    // e + combining acute is the same text as é (NFC); ẞ lower-cases to ß; ß is not ss.
    expect(normaliseEmail('Jose\u0301@Example.test')).toBe('jos\u00e9@example.test');
    expect(normaliseEmail('STRAẞE@x.test')).toBe('straße@x.test');
    expect(normaliseEmail('STRASSE@x.test')).toBe('strasse@x.test');
    expect(normaliseEmail('straße@x.test')).not.toBe(normaliseEmail('strasse@x.test'));
    // The Kelvin sign is canonically K.
    expect(normaliseEmail('\u212aim@x.test')).toBe('kim@x.test');
    for (const email of ['İnci@x.test', 'ΟΔΟΣ@x.test', 'Ǆ@x.test']) {
      const canonical = normaliseEmail(email);
      expect(normaliseEmail(canonical)).toBe(canonical);
      expect(canonical.normalize('NFC')).toBe(canonical);
    }
  });

  it.each([
    ['ada@example.test', undefined],
    ['straße@example.test', undefined],
    ['josé@exämple.test', undefined],
    ['ada\u200b@example.test', 'must not contain invisible or control characters'],
    ['a\u00adda@example.test', 'must not contain invisible or control characters'],
    ['ada\u2060@example.test', 'must not contain invisible or control characters'],
    ['a\ufeffda@example.test', 'must not contain invisible or control characters'],
    ['ada\u202e@example.test', 'must not contain invisible or control characters'],
    ['ada\u0000@example.test', 'must not contain invisible or control characters'],
    [
      'ａｄａ@example.test',
      'must not contain full-width or other compatibility characters (like ﬁ)',
    ],
    ['ada＠example.test', 'must not contain full-width or other compatibility characters (like ﬁ)'],
    ['ﬁ@example.test', 'must not contain full-width or other compatibility characters (like ﬁ)'],
    [
      'ada@ex\u00a0ample.test',
      'must not contain full-width or other compatibility characters (like ﬁ)',
    ],
    ['a\ud800@example.test', 'is not well-formed Unicode text'],
  ])('judges the characters of the email %p', (email, problem) => {
    expect(emailCharacterProblem(email)).toBe(problem);
  });

  it('normalises usernames to lower case', () => {
    expect(normaliseUsername(' Ada_L ')).toBe('ada_l');
  });

  it.each([
    ['ada', 'ada'],
    ['Ada.Lovelace', 'ada_lovelace'],
    ['josé.núñez', 'jose_nunez'],
    ['..weird++name..', 'weird_name'],
    ['李小龍', 'user'],
    ['a', 'a00'],
    ['x'.repeat(80), 'x'.repeat(34)],
  ])('derives a valid username from %p', (source, expected) => {
    const base = usernameBase(source);
    expect(base).toBe(expected);
    expect(base).toMatch(USERNAME_PATTERN);
  });

  it('takes the local part of an email, even one containing @ in quotes', () => {
    expect(usernameBaseFromEmail('Grace.Hopper@navy.mil')).toBe('grace_hopper');
    expect(usernameBaseFromEmail('"a@b"@example.com')).toBe('a_b');
  });

  it('offers ada, ada1, ada2 … then random suffixes, all valid and within 40 characters', () => {
    const base = usernameBase('y'.repeat(80));
    const generator = usernameCandidates(base, 2);
    const first = Array.from({ length: 6 }, () => generator.next().value as string);
    expect(first.slice(0, 3)).toEqual([base, `${base}1`, `${base}2`]);
    for (const candidate of first) expect(candidate).toMatch(USERNAME_PATTERN);
    expect(first[3]).toMatch(new RegExp(`^${base}\\d{4}$`));
  });
});
