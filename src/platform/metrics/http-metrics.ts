import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram, Registry } from 'prom-client';
import { routeLabel } from './route-label';

type Observe = (seconds: number) => void;

/** Request latency by method, matched route pattern and status. */
@Injectable()
export class HttpMetrics {
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  /**
   * The histogram's child per label values, made once: methods, route patterns and statuses are
   * few (never a path), so this stays small.
   */
  private readonly children = new Map<string, Observe>();

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, matched route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  /** Express middleware, first of all: times every request, also those refused before a route. */
  middleware() {
    return (request: Request, response: Response, next: NextFunction) => {
      const started = process.hrtime.bigint();
      response.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.child(request.method, routeLabel(request, response), response.statusCode)(seconds);
      });
      next();
    };
  }

  private child(method: string, route: string, status: number): Observe {
    const key = `${method} ${status} ${route}`;
    let observe = this.children.get(key);
    if (!observe) {
      const child = this.duration.labels(method, route, String(status));
      observe = (seconds) => child.observe(seconds);
      this.children.set(key, observe);
    }
    return observe;
  }
}
