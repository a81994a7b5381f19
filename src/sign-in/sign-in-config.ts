import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { configArea } from '../platform/config/config-area';

/** How long sessions last and count as recent, and the limits on attempts to sign in. */
export class SignInConfig {
  @Type(() => Number)
  @IsInt()
  @Min(60)
  SESSION_IDLE_TIMEOUT_SECONDS = 7 * 24 * 3600;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  SESSION_ABSOLUTE_TIMEOUT_SECONDS = 30 * 24 * 3600;

  /** How long after signing in a session counts as recent for sensitive changes without a password. */
  @Type(() => Number)
  @IsInt()
  @Min(30)
  @Max(3600)
  RECENT_SIGN_IN_SECONDS = 300;

  /**
   * Attempts per minute on each route that checks a password (and registration) from one client (IP
   * address), and password checks per minute on one account across all those routes. Counted in
   * MongoDB, so every instance shares the counts.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  SIGN_IN_RATE_LIMIT = 20;

  /**
   * Consecutive failed password checks on one account that cost nothing; each failure after them
   * makes the account wait before its next check (see SIGN_IN_FIRST_DELAY_SECONDS).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100000)
  SIGN_IN_FREE_FAILURES = 5;

  /** The wait after the first failure past the free ones; it doubles with each further failure. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  SIGN_IN_FIRST_DELAY_SECONDS = 1;

  /** The longest wait between two password checks of one account (15 minutes). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86400)
  SIGN_IN_MAX_DELAY_SECONDS = 900;

  /**
   * Consecutive failed password checks after which the account's password is refused until its
   * owner resets it by email. NIST SP 800-63B allows at most 100, which production enforces.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  SIGN_IN_LOCK_AFTER_FAILURES = 100;
}

export const signInConfig = configArea('signIn', SignInConfig, (config, { platform }) => {
  const problems: string[] = [];
  if (config.SESSION_ABSOLUTE_TIMEOUT_SECONDS < config.SESSION_IDLE_TIMEOUT_SECONDS) {
    problems.push(
      'SESSION_ABSOLUTE_TIMEOUT_SECONDS must not be shorter than SESSION_IDLE_TIMEOUT_SECONDS',
    );
  }
  if (config.SIGN_IN_FIRST_DELAY_SECONDS > config.SIGN_IN_MAX_DELAY_SECONDS) {
    problems.push('SIGN_IN_FIRST_DELAY_SECONDS must not be longer than SIGN_IN_MAX_DELAY_SECONDS');
  }
  if (platform.isProduction && config.SIGN_IN_LOCK_AFTER_FAILURES > 100) {
    problems.push(
      'SIGN_IN_LOCK_AFTER_FAILURES must be at most 100 when NODE_ENV=production (NIST SP 800-63B)',
    );
  }
  return problems;
});
