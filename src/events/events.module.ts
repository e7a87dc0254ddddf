import { Module, OnModuleInit } from '@nestjs/common';
import { EventLogger } from './event-logger.service';
import { EventStore } from './event-store';
import { EventStreamsService } from './event-streams.service';
import { GlobalEventsController, JobEventsController } from './events.controller';
import { JsonlWriter } from './jsonl-writer';
import { PollingService } from './polling.service';
import { RetentionService } from './retention.service';
import { SseService } from './sse/sse.service';

@Module({
  controllers: [JobEventsController, GlobalEventsController],
  providers: [EventStore, JsonlWriter, EventLogger, PollingService, SseService, EventStreamsService, RetentionService],
  exports: [EventLogger, SseService],
})
export class EventsModule implements OnModuleInit {
  constructor(private readonly jsonl: JsonlWriter) {}

  /** Before anything else runs, every events.jsonl behind the database (a failed append, a crash) is caught up. */
  onModuleInit(): void {
    this.jsonl.catchUpAll();
  }
}
