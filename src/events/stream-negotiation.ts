import type { NextFunction, Request, Response } from 'express';

const NEGOTIABLE = /^(\/api\/v1(?:\/jobs\/[^/?]+)?\/events)\/?(\?.*)?$/;

/**
 * `GET …/events` with `Accept: text/event-stream` is the stream, as in the reference: the request is
 * routed to `…/events/stream` before routing, so both share one @Sse() handler.
 */
export function negotiateEventStream(request: Request, _response: Response, next: NextFunction): void {
  const accept = request.headers.accept;
  if (request.method === 'GET' && typeof accept === 'string' && accept.includes('text/event-stream')) {
    const match = NEGOTIABLE.exec(request.url);
    if (match) request.url = `${match[1]}/stream${match[2] ?? ''}`;
  }
  next();
}
