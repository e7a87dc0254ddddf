import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { EventBus } from './bus.port';

/** The bus port, with the adapter bootstrap opened from the config (in-process, or NATS in cluster mode). */
@Global()
@Module({})
export class BusModule implements OnApplicationShutdown {
  constructor(@Inject(EventBus) private readonly bus: EventBus) {}

  static forRoot(bus: EventBus): DynamicModule {
    return { module: BusModule, providers: [{ provide: EventBus, useValue: bus }], exports: [EventBus] };
  }

  /** Streams get their `complete` (the shutdown frame); a NATS connection is drained. */
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}
