import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Injectable } from '@nestjs/common';
import { isJobId } from '../common/job-id.pipe';
import { RequestLine } from '../common/request-log';
import { AdminToken } from '../config/config.module';
import { OperatorConfig } from '../config/operator-config';
import { RateLimits } from '../security/rate-limits';
import { bearerToken, tokensMatch } from '../security/token';
import { EventStreamsService } from './event-streams.service';

/** `/api/v1/jobs/<id>/events`, its `/poll` alias, and `/api/v1/events`, each with an optional query. */
const POLL_ROUTE = /^\/api\/v1\/(?:jobs\/([^/?#]+)\/events(\/poll)?|events)(?:\?(.*))?$/;

/** The route labels the routed answers count under in `jobevents_http_requests_total`. */
const ROUTE_LABEL = {
  job: '/api/v1/jobs/:id/events',
  alias: '/api/v1/jobs/:id/events/poll',
  global: '/api/v1/events',
};

export interface FastPathHttp {
  /** The security headers of every API answer (security/http-hardening.ts, apiSecurityHeaders). */
  securityHeaders: Record<string, string>;
  /** Counts an answer as the routed answers are counted (metrics/http-metrics.ts). */
  countAnswer: (route: string, status: number) => void;
  /** The debug request line (common/request-log.ts), when it is on. */
  logRequest?: RequestLine;
  /** The per-client limits, when they are on: a poll counts as the guard would count it. */
  rateLimits?: RateLimits;
}

/**
 * Polls answered before Express and Nest's pipeline (docs/ARCHITECTURE.md, "The polling fast path").
 * Routing, guards, pipes and the response helpers cost three quarters of a poll's time, for work a
 * poll with a valid token and query does not need. Such a poll is answered here, from the same
 * EventStreamsService.poll as the controller, with the same headers and body. Anything else — another
 * route or method, a body, `Accept: text/event-stream`, a missing or wrong token, a query or job the
 * service refuses, a store error, a client over its rate limit — goes on to Express untouched, whose
 * answer (the error JSON with `detail`) is then the only one. A poll answered here counts against the
 * client's rate limit in the guard's own count (security/rate-limits.ts). Not installed with CORS on.
 */
@Injectable()
export class PollFastPath {
  constructor(
    private readonly streams: EventStreamsService,
    private readonly token: AdminToken,
    private readonly config: OperatorConfig,
  ) {}

  /** Whether this config lets polls skip the pipeline: not with CORS (its middleware adds `Vary: Origin` and the allow headers). */
  get applies(): boolean {
    return !this.config.security.cors.enabled;
  }

  /** A request listener answering the polls it may, and handing every other request to `routed` (the Express app). */
  listener(routed: RequestListener, http: FastPathHttp): RequestListener {
    const fixed = { 'Content-Type': 'application/json; charset=utf-8', ...http.securityHeaders };
    const { countAnswer, logRequest, rateLimits } = http;
    return (request: IncomingMessage, response: ServerResponse) => {
      const route = this.match(request);
      if (route === null) return routed(request, response);
      const client = rateLimits?.clientOf(request) ?? '';
      // The guard answers a client over its limit (429, Retry-After); nothing is counted here.
      if (rateLimits?.isFull(client)) return routed(request, response);
      const started = logRequest ? process.hrtime.bigint() : 0n;
      this.streams.poll(route.query, route.jobId).then(
        (body) => {
          const limit = rateLimits?.takeRequest(client);
          // Its window filled while the page was read: the guard answers it.
          if (limit === null) return routed(request, response);
          response.once('finish', () => {
            countAnswer(route.label, 200);
            logRequest?.('GET', request.url as string, 200, started);
          });
          const limitFields = limit ? { 'RateLimit-Policy': limit.policy, RateLimit: limit.state } : {};
          response.writeHead(200, { ...fixed, ...limitFields, 'Content-Length': Buffer.byteLength(body) });
          response.end(body);
        },
        // The routed path answers it again, with its status and detail.
        () => routed(request, response),
      );
    };
  }

  /** The poll this request asks for, when the fast path may answer it; else null. */
  private match(request: IncomingMessage): { jobId?: string; query: Record<string, unknown>; label: string } | null {
    if (request.method !== 'GET' || request.url === undefined) return null;
    const route = POLL_ROUTE.exec(request.url);
    if (route === null) return null;
    const { headers } = request;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return null;
    if (headers.accept?.includes('text/event-stream')) return null;
    const given = bearerToken(headers.authorization);
    if (given === null || !tokensMatch(given, this.token.value)) return null;
    const [, jobId, alias, queryText] = route;
    if (jobId !== undefined && !isJobId(jobId)) return null;
    return {
      jobId: jobId?.toLowerCase(),
      query: parseQuery(queryText ?? ''),
      label: jobId === undefined ? ROUTE_LABEL.global : alias ? ROUTE_LABEL.alias : ROUTE_LABEL.job,
    };
  }
}
