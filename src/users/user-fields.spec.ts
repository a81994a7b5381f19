import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  IsDisplayName,
  IsUsername,
  trimmedTextPattern,
  USERNAME_INPUT_PATTERN,
} from './user-fields';

class Named {
  @IsDisplayName()
  name!: string;
}

class WithUsername {
  @IsUsername()
  username!: string;
}

const accepts = <T extends object>(dto: new () => T, field: string, value: string) =>
  validateSync(plainToInstance(dto, { [field]: value })).length === 0;

/** Characters where trimming, control characters, case and UTF-16 differ, and plain ones. */
const POOL = [
  ...'aZ09_-. !@é',
  '\t',
  '\n',
  '\v',
  '\r',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200b',
  '\u2028',
  '\u3000',
  '\ufeff',
  '\ufe0f',
  '\u212a',
  '🔑',
];

/** Strings of 0 to `max` characters drawn from POOL, the same ones on every run. */
function* samples(count: number, max: number): Generator<string> {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < count; i++) {
    const length = Math.floor(next() * (max + 1));
    // Mostly one plain character repeated, so that long strings are near the limits.
    const plain = POOL[Math.floor(next() * 4)];
    yield Array.from({ length }, () =>
      next() < 0.8 ? plain : POOL[Math.floor(next() * POOL.length)],
    ).join('');
  }
}

describe('the OpenAPI patterns of the fields people type', () => {
  it('accept exactly the names the validation accepts', () => {
    const pattern = new RegExp(trimmedTextPattern(100), 'u');
    const edges = ['Ada', '  Ada  ', '', ' ', '\tAda\n', 'A\u0000da', '\u0085Ada', '\ufeffAda'];
    for (const name of [...edges, 'a'.repeat(100), ` ${'a'.repeat(100)} `, 'a'.repeat(101)]) {
      expect({ name, described: pattern.test(name) }).toEqual({
        name,
        described: accepts(Named, 'name', name),
      });
    }
    for (const name of samples(3000, 110)) {
      expect({ name, described: pattern.test(name) }).toEqual({
        name,
        described: accepts(Named, 'name', name),
      });
    }
  });

  it('accept exactly the usernames the validation accepts, in any case of A–Z only', () => {
    const pattern = new RegExp(USERNAME_INPUT_PATTERN, 'u');
    const edges = ['ada', 'ADA', ' ada ', 'ad', 'ada!', '\u212aada', 'ädä', 'a'.repeat(41)];
    for (const username of [...edges, ...samples(3000, 45)]) {
      expect({ username, described: pattern.test(username) }).toEqual({
        username,
        described: accepts(WithUsername, 'username', username),
      });
    }
    expect(accepts(WithUsername, 'username', '\u212aada')).toBe(false);
  });
});
