import { availableParallelism } from 'node:os';
import { passwordConfig } from './password-config';

describe('passwordConfig.fromEnvironment', () => {
  it('applies defaults', () => {
    const config = passwordConfig.fromEnvironment({});
    expect(config.PASSWORD_MIN_LENGTH).toBe(15);
    expect(config.ARGON2_MEMORY_KIB).toBe(19456);
  });

  it('reads and converts variables', () => {
    expect(passwordConfig.fromEnvironment({ PASSWORD_MIN_LENGTH: '8' }).PASSWORD_MIN_LENGTH).toBe(
      8,
    );
  });

  it('bounds argon2 work at one computation per core, queued for at most 30 seconds, by default', () => {
    const config = passwordConfig.fromEnvironment({});
    expect(config.ARGON2_MAX_CONCURRENCY).toBe(availableParallelism());
    expect(config.ARGON2_QUEUE_TIMEOUT_SECONDS).toBe(30);
    const tuned = passwordConfig.fromEnvironment({
      ARGON2_MAX_CONCURRENCY: '3',
      ARGON2_QUEUE_TIMEOUT_SECONDS: '60',
    });
    expect([tuned.ARGON2_MAX_CONCURRENCY, tuned.ARGON2_QUEUE_TIMEOUT_SECONDS]).toEqual([3, 60]);
  });

  it.each([
    ['ARGON2_MAX_CONCURRENCY', '0'],
    ['ARGON2_MAX_CONCURRENCY', 'many'],
    ['ARGON2_QUEUE_TIMEOUT_SECONDS', '0'],
    ['ARGON2_QUEUE_TIMEOUT_SECONDS', '1.5'],
    ['ARGON2_QUEUE_TIMEOUT_SECONDS', '301'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => passwordConfig.fromEnvironment({ [name]: value })).toThrow(new RegExp(name));
  });
});
