import {
  BadRequestException,
  HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/** Deeper than this, a body is refused: validation walks it recursively, and no request of the API nests so. */
export const MAX_BODY_DEPTH = 64;

/**
 * Express's JSON parser, with its errors turned into HTTP errors whose detail a client can act on,
 * and bodies nested deeper than MAX_BODY_DEPTH refused before anything walks them.
 */
export function jsonBody(limit: string, timeoutMs: number): RequestHandler {
  const parse = express.json({ limit });
  return (request: Request, response: Response, next: NextFunction) => {
    // Reads take no body: nothing to parse or wait for (the hot polling route skips it all).
    if (request.method === 'GET' || request.method === 'HEAD') return next();
    let isTimedOut = false;
    // A body sent slower than this (a byte now and then) is cut off with 408 instead of holding a socket for minutes.
    const timer = setTimeout(() => {
      isTimedOut = true;
      response.once('finish', () => request.destroy());
      response
        .status(408)
        .set('Connection', 'close')
        .json({ statusCode: 408, detail: `Request body not received within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    parse(request, response, (error?: unknown) => {
      clearTimeout(timer);
      if (isTimedOut) return;
      if (error) return next(toHttpError(error as BodyParserError, limit));
      if (depthOf(request.body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
        return next(new BadRequestException(`Request body nested deeper than ${MAX_BODY_DEPTH} levels`));
      }
      next();
    });
  };
}

/** How deep arrays and objects nest in `value`, counted without recursion and only up to `cap` + 1. */
export function depthOf(value: unknown, cap: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > cap) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function toHttpError(error: BodyParserError, limit: string): HttpException {
  switch (error.type) {
    case 'entity.parse.failed':
      return new BadRequestException(`Malformed JSON in request body: ${error.message ?? 'cannot parse'}`);
    case 'entity.too.large':
      return new PayloadTooLargeException(`Request body too large (limit ${limit})`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(error.message ?? 'Unsupported request body encoding');
    default:
      return new HttpException(
        error.message ?? 'Bad request body',
        error.status && error.status < 500 ? error.status : 400,
      );
  }
}
