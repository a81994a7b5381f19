import { availableParallelism } from 'node:os';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { configArea } from '../../../platform/config/config-area';

/** Passwords: the rules for new ones, and what hashing (argon2id) each costs and may use at once. */
export class PasswordConfig {
  /** NIST SP 800-63B-4: 15 for a password used alone; may be lowered to 8. */
  @Type(() => Number)
  @IsInt()
  @Min(8)
  @Max(64)
  PASSWORD_MIN_LENGTH = 15;

  /** argon2id memory in KiB; the default and the two below are OWASP's recommendation. */
  @Type(() => Number)
  @IsInt()
  @Min(8192)
  @Max(4 * 1024 * 1024)
  ARGON2_MEMORY_KIB = 19456;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  ARGON2_TIME_COST = 2;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(16)
  ARGON2_PARALLELISM = 1;

  /**
   * argon2 computations allowed at once; the rest wait in a queue that is fair across accounts.
   * One per core keeps every core busy (the next starts as soon as one ends); more would not go
   * faster, and each holds ARGON2_MEMORY_KIB while it runs (19 MiB by default).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1024)
  ARGON2_MAX_CONCURRENCY = availableParallelism();

  /**
   * How long a password check may wait for its turn before the request fails with 503 BUSY. 500
   * sign-ins at once take two cores about 8 s of argon2 work: the default leaves room for that.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(300)
  ARGON2_QUEUE_TIMEOUT_SECONDS = 30;
}

export const passwordConfig = configArea('password', PasswordConfig);
