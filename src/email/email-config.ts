import { Type, Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { configArea, emptyAsUnset } from '../platform/config/config-area';

/** The mail the service sends (where it goes, from whom, how it is retried) and its links' lifetimes. */
export class EmailConfig {
  /**
   * Where mail goes: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (TLS). Required
   * in production; unset in development and tests, messages are written to MAIL_OUTBOX_DIR instead.
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /** The From of every message, e.g. "Acme Accounts <no-reply@acme.example>". Required in production. */
  @Transform(emptyAsUnset)
  @IsOptional()
  @Matches(/^[^\r\n]*<?[^@\s<>]+@[^@\s<>]+>?$/, {
    message: 'MAIL_FROM must be an address, optionally with a name: "Name <address@host>"',
  })
  MAIL_FROM?: string;

  /** Without SMTP_URL (development, tests): one .eml file per message in this directory. */
  @IsString()
  MAIL_OUTBOX_DIR = '.data/outbox';

  /** How often each instance looks for mail to deliver (also right after each change that sends). */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(600_000)
  MAIL_POLL_INTERVAL_MS = 5000;

  /** First retry delay after a failed delivery; it doubles with each failure, up to an hour. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  MAIL_RETRY_SECONDS = 30;

  /** How long an email verification (or email change) link works. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(30 * 86400)
  EMAIL_VERIFICATION_TTL_SECONDS = 86400;

  /** How long a password reset link works. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(86400)
  PASSWORD_RESET_TTL_SECONDS = 1800;

  /** The platform's settings the default sender is made of (filled in by emailConfig). */
  sender!: { appName: string; publicUrl: string };

  get mailFrom(): string {
    const { appName, publicUrl } = this.sender;
    return this.MAIL_FROM ?? `${appName} <no-reply@${new URL(publicUrl).hostname}>`;
  }
}

export const emailConfig = configArea('email', EmailConfig, (config, { platform }) => {
  config.sender = { appName: platform.APP_NAME, publicUrl: platform.publicUrl };
  const problems: string[] = [];
  if (platform.isProduction && (!config.SMTP_URL || !config.MAIL_FROM)) {
    problems.push(
      'SMTP_URL and MAIL_FROM are required when NODE_ENV=production (verification and recovery links go out by email)',
    );
  }
  return problems;
});
