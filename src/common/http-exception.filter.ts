import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/** The one way errors leave the service: JSON `{statusCode, detail}` (the reference's clients read `detail`). */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

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
    response.status(status).json({ statusCode: status, detail });
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
  // Errors of Express's body parser (malformed JSON, too large, bad charset) carry their own status.
  const parserError = exception as BodyParserError;
  const status = parserError?.status ?? parserError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, detail: bodyParserDetail(parserError) };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'Internal server error' };
}

function bodyParserDetail(error: BodyParserError): string {
  switch (error.type) {
    case 'entity.parse.failed':
      return 'Malformed JSON in request body';
    case 'entity.too.large':
      return 'Request body too large (limit 1 MiB)';
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'Unsupported request body encoding';
    default:
      return error.message ?? 'Bad request';
  }
}
