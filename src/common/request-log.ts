import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Writes one answered request's line: `started` is process.hrtime.bigint() at its arrival. */
export type RequestLine = (method: string, url: string, status: number, started: bigint) => void;

/** One `[api]` debug line per answered request (the logger redacts tokens, query ones included). */
export function requestLine(): RequestLine {
  const logger = new Logger('api');
  return (method, url, status, started) => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logger.debug(`${method} ${url} → ${status} (${ms.toFixed(1)} ms)`);
  };
}

/** The request line as Express middleware. */
export function requestLog(line: RequestLine) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => line(request.method, request.originalUrl, response.statusCode, started));
    next();
  };
}
