import { Module } from '@nestjs/common';
import { EventStreamsService } from './event-streams.service';
import { GlobalEventsController, JobEventsController } from './events.controller';
import { PollFastPath } from './poll-fast-path';
import { PollingService } from './polling.service';
import { RetentionService } from './retention.service';
import { SseService } from './sse/sse.service';

/** The read side of events: polling, SSE streams, and retention of the stored history. */
@Module({
  controllers: [JobEventsController, GlobalEventsController],
  providers: [PollingService, SseService, EventStreamsService, RetentionService, PollFastPath],
  exports: [SseService, PollFastPath],
})
export class EventsModule {}
