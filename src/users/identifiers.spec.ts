import {
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
