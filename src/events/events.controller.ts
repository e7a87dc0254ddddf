import type { ServerResponse } from 'node:http';
import { Controller, Get, Header, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { JobIdPipe } from '../common/job-id.pipe';
import { AcceptsQueryToken } from '../security/auth.decorators';
import { ApiEventRoutes, ApiEventStream, ApiPoll } from './dto/event-api.decorators';
import { EventStreamsService, RawEventQuery } from './event-streams.service';

/** Polling answers with the body polling.service.ts builds (the events as stored, never re-serialized). */
const JSON_TYPE = 'application/json; charset=utf-8';

/** A job's events: polling (`/events`, `/events/poll`) and SSE (`/events/stream`). */
@ApiEventRoutes()
@Controller('jobs/:id/events')
export class JobEventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get()
  @ApiPoll("Poll a job's events (with Accept: text/event-stream, the stream instead)")
  @Header('Content-Type', JSON_TYPE)
  poll(@Param('id', JobIdPipe) jobId: string, @Query() query: RawEventQuery): Promise<string> {
    return this.streams.poll(query, jobId);
  }

  @Get('poll')
  @ApiPoll("Poll a job's events (alias)")
  @Header('Content-Type', JSON_TYPE)
  pollAlias(@Param('id', JobIdPipe) jobId: string, @Query() query: RawEventQuery): Promise<string> {
    return this.streams.poll(query, jobId);
  }

  /** @Res(): the stream writes its own response (sse/sse-writer.ts); errors before it starts are JSON. */
  @Get('stream')
  @AcceptsQueryToken()
  @ApiEventStream("A job's events over SSE: replay after the cursor, then live")
  async stream(
    @Param('id', JobIdPipe) jobId: string,
    @Query() query: RawEventQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.streams.stream(query, lastEventId, connectionOf(request, response), jobId);
  }
}

/** Every job's events (the admin view), optionally narrowed with `?job_id=`. */
@ApiEventRoutes()
@ApiQuery({ name: 'job_id', required: false })
@Controller('events')
export class GlobalEventsController {
  constructor(private readonly streams: EventStreamsService) {}

  @Get()
  @ApiPoll("Poll all jobs' events (with Accept: text/event-stream, the stream instead)")
  @Header('Content-Type', JSON_TYPE)
  poll(@Query() query: RawEventQuery): Promise<string> {
    return this.streams.poll(query);
  }

  @Get('stream')
  @AcceptsQueryToken()
  @ApiEventStream("All jobs' events over SSE")
  async stream(
    @Query() query: RawEventQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.streams.stream(query, lastEventId, connectionOf(request, response));
  }
}

function connectionOf(request: Request, response: Response): { response: ServerResponse; client: string } {
  return { response, client: request.ip ?? request.socket.remoteAddress ?? 'unknown' };
}
