import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';

/** Counts every answered request by its route pattern (never the raw path: ids would explode the labels). */
export function httpMetrics(metrics: MetricsService) {
  return (request: Request, response: Response, next: NextFunction): void => {
    response.once('finish', () => {
      const pattern = (request.route as { path?: string } | undefined)?.path;
      metrics.httpRequest(pattern ? `${request.baseUrl}${pattern}` : 'unmatched', response.statusCode);
    });
    next();
  };
}
