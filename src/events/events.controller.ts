import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, MessageEvent, NotFoundException, Param, Query, Req, Sse } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { JobIdPipe } from '../common/job-id.pipe';
import { AcceptsQueryToken } from '../security/auth.decorators';
import { EventStreamsService, RawEventQuery } from './event-streams.service';
import { PollResponse } from './polling.service';

/** A job's events: polling (`/events`, `/events/poll`) and SSE (`/events/stream`). */
@Controller('jobs/:id/events')
export class JobEventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get()
  poll(@Param('id', JobIdPipe) jobId: string, @Query() query: RawEventQuery): PollResponse {
    return this.streams.poll(query, jobId);
  }

  @Get('poll')
  pollAlias(@Param('id', JobIdPipe) jobId: string, @Query() query: RawEventQuery): PollResponse {
    return this.streams.poll(query, jobId);
  }

  @Sse('stream', { maxPendingDataLength: 0 })
  @AcceptsQueryToken()
  stream(
    @Param('id', JobIdPipe) jobId: string,
    @Query() query: RawEventQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
  ): Observable<MessageEvent> {
    return this.streams.stream(query, lastEventId, connectionOf(request), jobId);
  }
}

/** Every job's events (the admin view), optionally narrowed with `?job_id=`. */
@Controller('events')
export class GlobalEventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get()
  poll(@Query() query: RawEventQuery): PollResponse {
    return this.streams.poll(query);
  }

  @Sse('stream', { maxPendingDataLength: 0 })
  @AcceptsQueryToken()
  stream(
    @Query() query: RawEventQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
  ): Observable<MessageEvent> {
    return this.streams.stream(query, lastEventId, connectionOf(request));
  }
}

function connectionOf(request: Request): { response: ServerResponse; client: string } {
  if (!request.res) throw new NotFoundException('No response to stream to');
  return { response: request.res, client: request.ip ?? request.socket.remoteAddress ?? 'unknown' };
}
