import { Global, Inject, Module, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import { InstanceLock } from '../common/instance-lock';
import { OperatorConfig } from '../config/operator-config';
import { SqliteStore } from './sqlite/sqlite-store';
import { Store } from './store.port';

/** How often the store gives back the disk space bursts took (the WAL of SQLite). */
const COMPACT_INTERVAL_MS = 60_000;

/** The store port and its adapter, chosen from the config (SQLite, the embedded default). */
@Global()
@Module({
  providers: [
    {
      provide: Store,
      inject: [OperatorConfig],
      useFactory: (config: OperatorConfig) => new SqliteStore(config.storage.db_path, config.storage.busy_timeout_ms),
    },
  ],
  exports: [Store],
})
export class StoreModule implements OnModuleInit, OnApplicationShutdown {
  private compactTimer?: NodeJS.Timeout;

  constructor(
    @Inject(Store) private readonly store: Store,
    @Optional() private readonly lock?: InstanceLock,
  ) {}

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
