import { Controller, Get, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  type ApiPropertyOptions,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, MongooseHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { HttpAnswer } from '../http/http-answer';
import { Public } from '../http/public.decorator';
import { GracefulShutdown } from '../shutdown/graceful-shutdown';

const CHECKS: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { status: { type: 'string', example: 'up' } },
    required: ['status'],
  },
  example: { mongodb: { status: 'up' } },
};

/** @nestjs/terminus's answer, in its own format (not an ErrorBody, also with 503). */
class HealthCheckView {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status!: string;

  @ApiPropertyOptional({ ...CHECKS, description: 'The checks that passed.' })
  info?: Record<string, unknown>;

  @ApiPropertyOptional({ ...CHECKS, description: 'The checks that failed.' })
  error?: Record<string, unknown>;

  @ApiProperty({ ...CHECKS, description: 'Every check.' })
  details!: Record<string, unknown>;
}

/** What terminus answers for a check of nothing, made once: liveness is the cheapest route. */
const ALIVE: HealthCheckResult = Object.freeze({ status: 'ok', info: {}, error: {}, details: {} });
/** And what it answers, with 503, once the instance has begun to stop. */
const STOPPING: HealthCheckResult = Object.freeze({ ...ALIVE, status: 'shutting_down' });

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongooseHealthIndicator,
    private readonly shutdown: GracefulShutdown,
  ) {}

  /**
   * Liveness: the process answers. Touches no dependency, so a database outage restarts nothing;
   * 503 only while the instance stops (terminus's `shutting_down`), as an HttpAnswer: the cheapest
   * route takes no response object, which would cost each of its requests Nest's parameter pipes.
   */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({
    type: HealthCheckView,
    description: 'The process is up (the database is not checked).',
  })
  @ApiServiceUnavailableResponse({
    type: HealthCheckView,
    description: 'The instance is stopping.',
  })
  live(): HealthCheckResult {
    if (this.shutdown.stopping) throw new HttpAnswer(503, STOPPING);
    return ALIVE;
  }

  /** Readiness: 200 when the database answers a ping, 503 (in terminus's format) when it does not. */
  @Get(['ready', ''])
  @ApiOperation({ summary: 'Readiness: the service and its database answer' })
  @ApiOkResponse({ type: HealthCheckView, description: 'The service and its database are up.' })
  @ApiServiceUnavailableResponse({
    type: HealthCheckView,
    description: 'The database does not answer, or the instance is stopping.',
  })
  ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    return answer(
      this.health.check([() => this.mongo.pingCheck('mongodb', { timeout: 1500 })]),
      response,
    );
  }
}

/** A failed check as 503 with terminus's body (`status: error` or `shutting_down`), not as an error. */
async function answer(
  check: Promise<HealthCheckResult>,
  response: Response,
): Promise<HealthCheckResult> {
  try {
    return await check;
  } catch (error) {
    const result = (error as { getResponse?: () => unknown }).getResponse?.();
    if (!result) throw error;
    response.status(503);
    return result as HealthCheckResult;
  }
}
