import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { configArea } from '../platform/config/config-area';

/** The admin API's own limits. */
export class AdminConfig {
  /**
   * Requests per minute to the admin API from one caller (an admin's account, or an API key), all
   * instances together: a stolen key or admin cookie cannot page through every account at speed.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000000)
  ADMIN_RATE_LIMIT = 600;
}

export const adminConfig = configArea('admin', AdminConfig);
