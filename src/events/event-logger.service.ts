import { Injectable, Logger } from '@nestjs/common';
import { Sqlite } from '../database/database.module';
import { MetricsService } from '../metrics/metrics.service';
import { consoleLevel, formatConsoleLine } from './console-line';
import { EventBus } from '../bus/bus.port';
import { EventStore } from './event-store';
import { EventInput, JobEvent, PublishedEvent, makeEvent } from '../domain/events';
import { JsonlWriter } from './jsonl-writer';

/**
 * The single way an event comes into existence (SPEC §6): database row → events.jsonl line →
 * `[events]` console line → live bus. Synchronous from start to end, so ids follow emit order and
 * no reader can observe a state in between.
 */
@Injectable()
export class EventLogger {
  private readonly logger = new Logger('events');
  private lastTsMs: number | null = null;

  constructor(
    private readonly sqlite: Sqlite,
    private readonly store: EventStore,
    private readonly jsonl: JsonlWriter,
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Stores and publishes one event. `alongWith` runs in the same SQLite transaction as the insert
   * (the state change the event reports), so both commit or neither does. If storing fails this
   * throws and nothing is published.
   */
  emit(input: EventInput, alongWith?: () => void): JobEvent {
    const started = process.hrtime.bigint();
    const ts = this.nextTs();
    const payload = input.payload ?? {};
    const payloadJson = JSON.stringify(payload);
    const insert = (): number => {
      alongWith?.();
      return this.store.insert(input, ts, payloadJson);
    };
    const id = alongWith ? this.sqlite.db.transaction(insert)() : insert();
    const event = makeEvent(
      id,
      input.jobId,
      ts,
      input.type,
      input.stage ?? null,
      input.status ?? null,
      input.message,
      payload,
    );
    const published: PublishedEvent = { event, json: JSON.stringify(event) };
    this.jsonl.append(published);
    this.printConsoleLine(event);
    this.bus.publish([published]);
    this.metrics.eventEmitted(event.type, Number(process.hrtime.bigint() - started) / 1e9);
    return event;
  }

  /**
   * Now, but never before the previous event: ts then grows with id (a clock stepping back cannot
   * reorder them), which lets a timestamp cursor be turned into an id cursor by a binary search.
   */
  private nextTs(): string {
    this.lastTsMs ??= Date.parse(this.store.lastTs() ?? '') || 0;
    this.lastTsMs = Math.max(Date.now(), this.lastTsMs);
    return new Date(this.lastTsMs).toISOString();
  }

  private printConsoleLine(event: JobEvent): void {
    try {
      const line = formatConsoleLine(event);
      const level = consoleLevel(event);
      if (level === 'error') this.logger.error(line);
      else if (level === 'warning') this.logger.warn(line);
      else if (level === 'debug') this.logger.debug(line);
      else this.logger.log(line);
    } catch {
      // A console that cannot be written must not fail the action; the event is stored and filed.
    }
  }
}
