import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PasswordConfig } from './password-config';
import {
  COMMON_PASSWORDS_FILE,
  commonPasswordList,
  loadPasswordList,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MESSAGES,
  passwordProblem,
} from './password-policy';
import { PasswordPolicy } from './password-policy.service';

describe('passwordProblem', () => {
  it('accepts a long passphrase of ordinary words', () => {
    expect(passwordProblem('correct horse battery staple', 15)).toBeUndefined();
  });

  it('refuses passwords shorter than the minimum, saying how long they must be', () => {
    expect(passwordProblem('fourteen chars', 15)).toBe(
      'Password must be at least 15 characters long.',
    );
    expect(passwordProblem('fifteen chars!!', 15)).toBeUndefined();
  });

  it('counts Unicode characters, not UTF-16 units or bytes', () => {
    const emoji = '🔑'.repeat(15); // 30 UTF-16 units, 60 bytes
    expect(passwordProblem(emoji.slice(0, 28), 15)).toMatch(/at least 15/);
    expect(passwordProblem('🔑🗝'.repeat(8).slice(0, 30), 15)).toBeUndefined();
  });

  it('refuses passwords longer than the maximum', () => {
    expect(passwordProblem('ab'.repeat(64), 15)).toBeUndefined();
    expect(passwordProblem(`${'ab'.repeat(64)}c`, 15)).toBe(
      `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`,
    );
  });

  it('has no composition rules', () => {
    expect(passwordProblem('alllowercaseletters', 15)).toBeUndefined();
    expect(passwordProblem('пароль для входа в систему', 15)).toBeUndefined();
  });

  it('refuses one character repeated', () => {
    expect(passwordProblem('z'.repeat(20), 15)).toBe(PASSWORD_MESSAGES.repeated);
  });
});

describe('the list of common and breached passwords', () => {
  const lines = readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n').filter(Boolean);

  it('holds at least 100,000 distinct passwords, as compared, none shorter than any minimum', () => {
    expect(commonPasswordList().size).toBeGreaterThanOrEqual(100_000);
    expect(new Set(lines).size).toBe(lines.length);
    // PASSWORD_MIN_LENGTH is at least 8, so a shorter entry could never refuse anything.
    expect(lines.filter((line) => [...line].length < 8)).toEqual([]);
  });

  it.each([
    'password1',
    'iloveyou',
    'qwertyuiop',
    '1qaz2wsx3edc4rfv',
    'passwordpassword',
    // The last of the 100,000, and one half-way down.
    'smokey24',
    lines[50_000],
  ])('refuses %s, whatever its case, and says why', (password) => {
    expect(passwordProblem(password, 8)).toBe(PASSWORD_MESSAGES.common);
    expect(passwordProblem(password.toUpperCase(), 8)).toBe(PASSWORD_MESSAGES.common);
  });

  it('compares after NFKC normalisation, so full-width letters are no way round it', () => {
    expect(passwordProblem('ｐａｓｓｗｏｒｄ１', 8)).toBe(PASSWORD_MESSAGES.common);
  });

  it('says the password is too short before looking it up', () => {
    expect(passwordProblem('password1', 15)).toMatch(/at least 15/);
  });

  it('is read whole lines at a time: case folded, Windows line ends dropped, spaces kept', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'passwords-')), 'list.txt');
    writeFileSync(file, 'Hunter22\r\ncorrect horse\n\n ');
    expect([...loadPasswordList(file)]).toEqual(['hunter22', 'correct horse', ' ']);
  });
});

describe('passwords containing who they are for', () => {
  const ada = { email: 'ada.lovelace@example.test', username: 'countess' };

  it('refuses the email address in any case, saying so', () => {
    expect(passwordProblem('my ADA.Lovelace@Example.TEST pass', 15, ada)).toBe(
      PASSWORD_MESSAGES.email,
    );
    expect(PASSWORD_MESSAGES.email).toBe('Your password must not contain your email address.');
  });

  it('refuses the part of the email before the @, in any case', () => {
    expect(passwordProblem('Ada.Lovelace rules the engine', 15, ada)).toBe(
      PASSWORD_MESSAGES.emailName,
    );
  });

  it('refuses the username in any case, saying so', () => {
    expect(passwordProblem('the COUNTESS of numbers', 15, ada)).toBe(PASSWORD_MESSAGES.username);
    expect(PASSWORD_MESSAGES.username).toBe('Your password must not contain your username.');
  });

  it('compares after NFKC normalisation and Unicode lower-casing', () => {
    expect(passwordProblem('ＡＤＡ．ＬＯＶＥＬＡＣＥ is me', 15, ada)).toBe(
      PASSWORD_MESSAGES.emailName,
    );
    const zoe = { email: 'zoë@example.test' };
    expect(passwordProblem('ZOË walks by the river', 15, zoe)).toBe(PASSWORD_MESSAGES.emailName);
  });

  it('ignores a part before the @ shorter than 3 characters, but not the whole address', () => {
    const al = { email: 'al@example.test', username: 'albert' };
    expect(passwordProblem('always all along the way', 15, al)).toBeUndefined();
    expect(passwordProblem('write to al@example.test', 15, al)).toBe(PASSWORD_MESSAGES.email);
  });

  it('accepts a strong passphrase that contains neither, and checks only what is known', () => {
    expect(passwordProblem('correct horse battery staple', 15, ada)).toBeUndefined();
    expect(passwordProblem('countess of numbers', 15, {})).toBeUndefined();
    const nothingKnown = { email: null, username: null };
    expect(passwordProblem('countess of numbers', 15, nothingKnown)).toBeUndefined();
  });
});

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy({ PASSWORD_MIN_LENGTH: 15 } as PasswordConfig);

  it('throws WEAK_PASSWORD naming the field, with the reason', () => {
    const owner = { email: 'grace@example.test', username: 'hopper' };
    expect(() => policy.assertAcceptable('grace hopper was here', 'newPassword', owner)).toThrow(
      expect.objectContaining({
        code: 'WEAK_PASSWORD',
        field: 'newPassword',
        message: PASSWORD_MESSAGES.emailName,
      }),
    );
    expect(() =>
      policy.assertAcceptable('correct horse battery staple', 'password', owner),
    ).not.toThrow();
  });
});
