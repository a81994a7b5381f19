import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { configArea, emptyAsUnset, splitList } from '../../platform/config/config-area';

/** A Standard Webhooks secret: `whsec_`, then base64 (with its padding). */
const WEBHOOK_SECRET_PATTERN =
  /^whsec_(?=[A-Za-z0-9+/])(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** The secret's size in bytes, as the Standard Webhooks specification recommends. */
const WEBHOOK_SECRET_BYTES = { min: 24, max: 64 };

/** The webhooks that tell other backends of accounts created, changed and deleted. */
export class WebhooksConfig {
  /**
   * Other backends told of accounts created, changed and deleted (user.created, user.updated,
   * user.deleted): comma-separated http(s) URLs, each sent every webhook.
   */
  @Transform(splitList)
  @IsUrl(
    {
      require_tld: false,
      protocols: ['http', 'https'],
      require_protocol: true,
      disallow_auth: true,
    },
    {
      each: true,
      message:
        'WEBHOOK_URLS must be a comma-separated list of http:// or https:// URLs, without user:password@',
    },
  )
  WEBHOOK_URLS: string[] = [];

  /**
   * Signs the webhooks (Standard Webhooks): `whsec_` and the base64 of 24 to 64 random bytes.
   * Required with WEBHOOK_URLS; the receivers verify with the same value.
   */
  @Transform(emptyAsUnset)
  @IsOptional()
  @IsString()
  @Matches(WEBHOOK_SECRET_PATTERN, {
    message: 'WEBHOOK_SECRET must be whsec_ followed by base64 (Standard Webhooks)',
  })
  WEBHOOK_SECRET?: string;

  /** The first retry delay after a failed webhook delivery; it doubles with each failure, up to an hour. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  WEBHOOK_RETRY_SECONDS = 5;
}

export const webhooksConfig = configArea('webhooks', WebhooksConfig, (config, { invalid }) => {
  const problems: string[] = [];
  if (config.WEBHOOK_URLS.length > 0 && !config.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_SECRET is required when WEBHOOK_URLS is set (it signs the webhooks)');
  }
  const secretProblem = webhookSecretSizeProblem(config.WEBHOOK_SECRET);
  if (secretProblem && !invalid.includes('WEBHOOK_SECRET')) {
    problems.push(secretProblem);
  }
  return problems;
});

/** A well-formed WEBHOOK_SECRET of a size the specification advises against; never its value. */
function webhookSecretSizeProblem(secret: string | undefined): string | undefined {
  if (secret === undefined) return undefined;
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
  const { min, max } = WEBHOOK_SECRET_BYTES;
  return bytes < min || bytes > max
    ? `WEBHOOK_SECRET must encode ${min} to ${max} random bytes (it has ${bytes})`
    : undefined;
}
