import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/dto/api-errors.decorator';
import { EventSchema, PollResponseSchema } from './dto/event.schema';
import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, MessageEvent, NotFoundException, Param, Query, Req, Sse } from '@nestjs/common';
import type { Request } from 'express';
import { Observable } from 'rxjs';
import { JobIdPipe } from '../common/job-id.pipe';
import { AcceptsQueryToken } from '../security/auth.decorators';
import { EventStreamsService, RawEventQuery } from './event-streams.service';
import { PollResponse } from './polling.service';

/** A job's events: polling (`/events`, `/events/poll`) and SSE (`/events/stream`). */
@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(400, 401, 404, 429)
@ApiQuery({ name: 'since', required: false, description: 'An event id (digits) or an ISO 8601 timestamp' })
@ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
@ApiQuery({ name: 'types', required: false, description: 'Comma list of event types' })
@ApiQuery({ name: 'stage', required: false })
@Controller('jobs/:id/events')
export class JobEventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get()
  @ApiOperation({ summary: "Poll a job's events (with Accept: text/event-stream, the stream instead)" })
  @ApiOkResponse({ type: PollResponseSchema })
  poll(@Param('id', JobIdPipe) jobId: string, @Query() query: RawEventQuery): PollResponse {
    return this.streams.poll(query, jobId);
  }

  @Get('poll')
  @ApiOperation({ summary: "Poll a job's events (alias)" })
  @ApiOkResponse({ type: PollResponseSchema })
  pollAlias(@Param('id', JobIdPipe) jobId: string, @Query() query: RawEventQuery): PollResponse {
    return this.streams.poll(query, jobId);
  }

  @Sse('stream', { maxPendingDataLength: 0 })
  @AcceptsQueryToken()
  @ApiOperation({ summary: "A job's events over SSE: replay after the cursor, then live" })
  @ApiQuery({ name: 'last_event_id', required: false })
  @ApiQuery({ name: 'access_token', required: false })
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'text/event-stream: id: <event id> + data: <Event JSON>; connected, heartbeat, history_truncated and shutdown frames carry no id',
    type: EventSchema,
  })
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
@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(400, 401, 404, 429)
@ApiQuery({ name: 'since', required: false, description: 'An event id (digits) or an ISO 8601 timestamp' })
@ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
@ApiQuery({ name: 'types', required: false, description: 'Comma list of event types' })
@ApiQuery({ name: 'stage', required: false })
@ApiQuery({ name: 'job_id', required: false })
@Controller('events')
export class GlobalEventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get()
  @ApiOperation({ summary: "Poll all jobs' events (with Accept: text/event-stream, the stream instead)" })
  @ApiOkResponse({ type: PollResponseSchema })
  poll(@Query() query: RawEventQuery): PollResponse {
    return this.streams.poll(query);
  }

  @Sse('stream', { maxPendingDataLength: 0 })
  @AcceptsQueryToken()
  @ApiOperation({ summary: "All jobs' events over SSE" })
  @ApiQuery({ name: 'last_event_id', required: false })
  @ApiQuery({ name: 'access_token', required: false })
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of Event frames', type: EventSchema })
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
