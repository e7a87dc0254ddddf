import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import {
  ConflictError,
  DomainError,
  InvalidInputError,
  NotFoundError,
  StoreFull,
  StoreUnavailable,
} from '../domain/errors';

/** The one way errors leave the service: JSON `{statusCode, detail}` (the reference's clients read `detail`). */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  /** `redact` scrubs secrets from details: a token pasted into the wrong field must not come back. */
  constructor(private readonly redact: (text: string) => string = (text) => text) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, detail } = describe(exception);
    // Only the unexpected is logged here: a store or disk that fails is reported once by the code that waits for it.
    if (status === HttpStatus.INTERNAL_SERVER_ERROR) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (response.headersSent) {
      if (!response.writableEnded) response.end();
      return;
    }
    if (status === HttpStatus.UNAUTHORIZED) response.setHeader('WWW-Authenticate', 'Bearer');
    if (exception instanceof StoreUnavailable) response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    else if (status === HttpStatus.INSUFFICIENT_STORAGE) response.setHeader('Retry-After', '30');
    response
      .status(status)
      .json({ statusCode: status, detail: typeof detail === 'string' ? this.redact(detail) : detail });
  }
}

export function describe(exception: unknown): { status: number; detail: unknown } {
  if (exception instanceof HttpException) {
    const body = exception.getResponse();
    if (typeof body === 'string') return { status: exception.getStatus(), detail: body };
    const { message, detail } = body as { message?: unknown; detail?: unknown };
    const text = detail ?? message ?? exception.message;
    return { status: exception.getStatus(), detail: Array.isArray(text) ? text.join('; ') : text };
  }
  if (exception instanceof DomainError) return { status: statusOf(exception), detail: exception.message };
  // A file the request writes (a job's brief, a patched artifact) on a full disk: nothing was kept.
  if ((exception as NodeJS.ErrnoException | null)?.code === 'ENOSPC') {
    return { status: HttpStatus.INSUFFICIENT_STORAGE, detail: 'No space left on the device; nothing was written' };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal server error' };
}

/** The one place domain errors become HTTP statuses. */
function statusOf(error: DomainError): number {
  if (error instanceof NotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof ConflictError) return HttpStatus.CONFLICT;
  if (error instanceof InvalidInputError) return HttpStatus.BAD_REQUEST;
  if (error instanceof StoreFull) return HttpStatus.INSUFFICIENT_STORAGE;
  if (error instanceof StoreUnavailable) return HttpStatus.SERVICE_UNAVAILABLE;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
