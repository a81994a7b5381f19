import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches } from 'class-validator';
import { configArea, emptyAsUnset } from '../../platform/config/config-area';

/** Two-step sign-in: the key its TOTP secrets are stored under. */
export class TwoStepConfig {
  /**
   * Encrypts the accounts' TOTP secrets in MongoDB (AES-256-GCM, the key is its SHA-256): a copy
   * of the database alone gives nobody the codes. Every instance must share it; changing it makes
   * the stored secrets unreadable (their owners then sign in with a recovery code).
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  @Matches(/^.{32,}$/, { message: 'TWO_STEP_SECRET must be at least 32 characters' })
  TWO_STEP_SECRET?: string;

  /** TWO_STEP_SECRET, or in development and tests a fixed, public one that protects nothing. */
  get twoStepSecret(): string {
    return this.TWO_STEP_SECRET ?? 'development only: set TWO_STEP_SECRET in production';
  }
}

export const twoStepConfig = configArea('twoStep', TwoStepConfig, (config, { platform }) =>
  platform.isProduction && !config.TWO_STEP_SECRET
    ? [
        'TWO_STEP_SECRET is required when NODE_ENV=production (it encrypts the two-step secrets; every instance must share it)',
      ]
    : [],
);
