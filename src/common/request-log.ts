import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** One `[api]` debug line per answered request (the logger redacts tokens, query ones included). */
export function requestLog() {
  const logger = new Logger('api');
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug(`${request.method} ${request.originalUrl} → ${response.statusCode} (${ms.toFixed(1)} ms)`);
    });
    next();
  };
}
