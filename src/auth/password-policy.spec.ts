import { PASSWORD_MAX_LENGTH, passwordProblem } from './password-policy';

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

  it('refuses common passwords whatever their case, and says why', () => {
    expect(passwordProblem('1qaz2wsx3edc4rfv', 8)).toMatch(/most commonly used/);
    expect(passwordProblem('PASSWORDPASSWORD', 8)).toMatch(/most commonly used/);
    expect(passwordProblem('password1', 8)).toMatch(/most commonly used/);
  });

  it('has no composition rules', () => {
    expect(passwordProblem('alllowercaseletters', 15)).toBeUndefined();
    expect(passwordProblem('пароль для входа в систему', 15)).toBeUndefined();
  });

  it('refuses one character repeated', () => {
    expect(passwordProblem('z'.repeat(20), 15)).toMatch(/repeated/);
  });
});
