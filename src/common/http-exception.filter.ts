import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** The one way errors leave the service: JSON `{statusCode, detail}` (the reference's clients read `detail`). */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  /** `redact` scrubs secrets from details: a token pasted into the wrong field must not come back. */
  constructor(private readonly redact: (text: string) => string = (text) => text) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, detail } = describe(exception);
    if (status >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (response.headersSent) {
      if (!response.writableEnded) response.end();
      return;
    }
    if (status === HttpStatus.UNAUTHORIZED) response.setHeader('WWW-Authenticate', 'Bearer');
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
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal server error' };
}
