import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { AccountKey } from '../../limits/account-key';
import { HashScheduler } from '../../limits/hash-scheduler';
import { PasswordConfig, passwordConfig } from './password-config';

/** The dummy hash is made once at start-up, for no account. */
const START_UP_KEY = 'start-up';

/**
 * argon2id hashing with the configured cost (OWASP's parameters by default). Every computation goes
 * through the HashScheduler, queued under the account it is for, so a flood on one account cannot
 * take the CPU from the others; when the queue is too long it fails with BUSY (503).
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: argon2.HashOptions;
  /** Verified against when an account does not exist, so a miss costs the same time as a hit. */
  private dummyHash = '';

  constructor(
    @Inject(passwordConfig.KEY) config: PasswordConfig,
    private readonly scheduler: HashScheduler,
  ) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    };
  }

  async onModuleInit(): Promise<void> {
    const password = normalise(randomBytes(16).toString('hex'));
    this.dummyHash = await this.scheduler.run(START_UP_KEY, () =>
      argon2.hash(password, this.options),
    );
  }

  /** Hashes a password for the account `key` names. */
  hash(password: string, key: AccountKey): Promise<string> {
    return this.scheduler.run(key, () => argon2.hash(normalise(password), this.options));
  }

  /**
   * Verifies a password of the account `key` names; with no hash it burns one verification (under
   * the same key) and returns false. Once `signal` aborts, a verification still waiting for its
   * turn is dropped (HashScheduler).
   */
  async verify(
    hash: string | undefined,
    password: string,
    key: AccountKey,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const matches = await this.scheduler.run(
      key,
      // A malformed stored hash is a mismatch, not a server error.
      () => argon2.verify(hash ?? this.dummyHash, normalise(password)).catch(() => false),
      signal,
    );
    return matches && hash !== undefined;
  }

  /** Whether a stored hash was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}

/**
 * NIST SP 800-63B: passwords are Unicode-normalised (NFKC) before hashing. argon2 hashes the
 * string's UTF-8 bytes, and a lone surrogate encodes as U+FFFD (so would bytes that were not UTF-8,
 * decoded): `pass\ud800` and `pass\ud801` would hash the same. Request bodies holding either are
 * refused before any password gets here (bodyProblem).
 */
function normalise(password: string): string {
  return password.normalize('NFKC');
}
