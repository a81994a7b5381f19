import { Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';

/** argon2id hashing with the configured cost (OWASP's parameters by default). */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: argon2.Options & { raw?: false };
  /** Verified against when an account does not exist, so a miss costs the same time as a hit. */
  private dummyHash = '';

  constructor(config: AppConfig) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    };
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(16).toString('hex'));
  }

  hash(password: string): Promise<string> {
    return argon2.hash(normalise(password), this.options);
  }

  /** Verifies a password; with no hash it burns one verification and returns false. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      const ok = await argon2.verify(hash ?? this.dummyHash, normalise(password));
      return ok && hash !== undefined;
    } catch {
      return false;
    }
  }

  /** Whether a stored hash was made with other parameters than the configured ones. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}

/** NIST SP 800-63B: passwords are Unicode-normalised (NFKC) before hashing. */
function normalise(password: string): string {
  return password.normalize('NFKC');
}
