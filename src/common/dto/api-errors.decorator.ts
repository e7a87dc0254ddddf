import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorSchema } from './error.schema';

const MEANING: Record<number, string> = {
  400: 'Invalid input (detail names the field)',
  401: 'Missing or wrong token',
  404: 'Unknown job, gate or file',
  409: 'State conflict',
  413: 'Body over 1 MiB',
  429: 'Rate limit (Retry-After says when to retry)',
};

/** The error answers a route may give, all in the `{statusCode, detail}` shape. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: MEANING[status], type: ErrorSchema })),
  );
}
