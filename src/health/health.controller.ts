import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, MongooseHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../common/public.decorator';

/** What terminus answers for a check of nothing, made once: liveness is the cheapest route. */
const ALIVE: HealthCheckResult = Object.freeze({ status: 'ok', info: {}, error: {}, details: {} });

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongooseHealthIndicator,
  ) {}

  /** Liveness: the process answers. Touches no dependency, so a database outage restarts nothing. */
  @Get('live')
  @ApiOkResponse({ description: 'The process is up (the database is not checked).' })
  live(): HealthCheckResult {
    return ALIVE;
  }

  /** Readiness: 200 when the database answers a ping, 503 (in terminus's format) when it does not. */
  @Get(['ready', ''])
  @ApiOkResponse({ description: 'The service and its database are up.' })
  @ApiServiceUnavailableResponse({ description: 'The database does not answer.' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.mongo.pingCheck('mongodb', { timeout: 1500 })]);
    } catch (error) {
      const result = (error as { getResponse?: () => unknown }).getResponse?.();
      if (!result) throw error;
      response.status(503);
      return result as HealthCheckResult;
    }
  }
}
