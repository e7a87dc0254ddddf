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

/** Express's JSON parser, with its errors turned into HTTP errors whose detail a client can act on. */
export function jsonBody(limit: string): RequestHandler {
  const parse = express.json({ limit });
  return (request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: unknown) =>
      next(error ? toHttpError(error as BodyParserError, limit) : undefined),
    );
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
