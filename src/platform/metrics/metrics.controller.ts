import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Registry } from 'prom-client';
import { AppError } from '../http/app-error';
import { Public } from '../http/public.decorator';
import { AppConfig } from '../config/app-config';

/**
 * Prometheus' scrape target. Not in the OpenAPI document, which describes the API for apps and
 * people; docs/operations.md (Metrics) documents it. Without a session: with METRICS_TOKEN set,
 * the scraper sends it as a bearer token.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly registry: Registry,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const token = this.config.METRICS_TOKEN;
    if (token !== undefined && !bearerMatches(authorization, token)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError('UNAUTHENTICATED', 'The metrics need their bearer token.');
    }
    const text = await this.registry.metrics();
    // Written as is: express's send() would rewrite the content type prom-client gives.
    response.setHeader('Content-Type', this.registry.contentType);
    response.end(text);
  }
}

/** Compares digests, which have the same length whatever was sent, in constant time. */
function bearerMatches(authorization: string | undefined, token: string): boolean {
  const sent = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(sent), digest(token));
}
