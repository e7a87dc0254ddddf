import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { InstanceLock } from '../common/instance-lock';
import { Store } from './store.port';

/** How often the store gives back the disk space bursts took (the WAL of SQLite). */
const COMPACT_INTERVAL_MS = 60_000;

/**
 * The store port, with the adapter bootstrap opened from the config (openStore: SQLite, the embedded
 * default, or PostgreSQL in cluster mode) before the app is built, so a start-up failure is one line.
 */
@Global()
@Module({})
export class StoreModule implements OnModuleInit, OnApplicationShutdown {
  private compactTimer?: NodeJS.Timeout;

  constructor(
    @Inject(Store) private readonly store: Store,
    @Optional() private readonly lock?: InstanceLock,
  ) {}

  static forRoot(store: Store): DynamicModule {
    return { module: StoreModule, providers: [{ provide: Store, useValue: store }], exports: [Store] };
  }

  onModuleInit(): void {
    // A store that cannot be compacted now (locked, full) is tried again at the next tick; writes report it.
    this.compactTimer = setInterval(() => void this.store.compact().catch(() => undefined), COMPACT_INTERVAL_MS);
    this.compactTimer.unref();
  }

  /** Runs last (this global module shuts down after the others); the data is free once it is closed. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.compactTimer);
    await this.store.compact().catch(() => undefined);
    await this.store.close();
    this.lock?.release();
  }
}
